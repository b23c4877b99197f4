/**
 * Spinoff's example2 across two nodes: this is the process that greets the `other` actor. In two
 * terminals, from the project's root:
 *
 *   npm run troupe -- run examples/spinoff-example2/other.ts --node other@127.0.0.1:9701 --name other
 *   npm run troupe -- run examples/spinoff-example2/main-actor.ts --node main@127.0.0.1:9702 \
 *     --name main-actor --using other_actor=troupe://other@127.0.0.1:9701/user/other
 *
 * It is given the other actor's ref as `other_actor`: by `--using` there, or in one process by
 * `examples/spinoff-example2-local.ts`; the code is the same either way.
 */
import { defineProcess, type Ref, sleep } from 'troupe'
import type { Ack, Greeting } from './other.ts'

/** The props of the main actor: spinoff's `run(self, other_actor)`. */
export interface MainActorProps {
  /** The actor to greet; spinoff's name for it, given with `--using other_actor=...`. */
  other_actor: Ref<Greeting>
}

/** How many greetings the main actor sends before it stops. */
export const ROUNDS = 3

/** Spinoff's `ExampleProcess`: greets, waits for the ack (5 s at most), pauses a little, again. */
const MainActor = defineProcess<Ack, MainActorProps>(async (self, { other_actor: other }) => {
  const me = self.self.name
  for (let round = 1; round <= ROUNDS; round++) {
    const greeting: Greeting = `hello! (${round} of ${ROUNDS})`
    console.log(`${me}: sending ${JSON.stringify(greeting)} to ${other.address}`)
    other.tell(greeting, self.self)
    console.log(`${me}: waiting for ack from ${other.address}`)
    await self.receive((m): m is Ack => m === 'ack', { timeout: 5_000 })
    console.log(`${me}: got 'ack' from ${other.address}${round < ROUNDS ? '; now sleeping a bit...' : ''}`)
    if (round < ROUNDS) await sleep(100)
  }
  console.log(`${me}: ${ROUNDS} greetings acknowledged, stopping`)
})

export default MainActor
