/**
 * Spinoff's example2 across two nodes: this is the `other` actor, which acknowledges every
 * greeting to whoever sent it; `main-actor.ts` is the process that greets it.
 *
 * Run each node in its own terminal, from the project's root (both nodes take the cookie from
 * ~/.troupe-cookie, made on first use, unless given --cookie-file):
 *
 *   npm run troupe -- run examples/spinoff-example2/other.ts --node other@127.0.0.1:9701 --name other
 *   npm run troupe -- run examples/spinoff-example2/main-actor.ts --node main@127.0.0.1:9702 \
 *     --name main-actor --using other_actor=troupe://other@127.0.0.1:9701/user/other
 *
 * The second node's actor talks to `other` a few times and stops, and its node exits 0; `other`
 * runs until Ctrl-C. `examples/spinoff-example2-local.ts` runs the same two actors in one process.
 */
import { defineActor } from 'troupe'

/** What `other` is told: a greeting, answered with an {@link Ack} to its sender. */
export type Greeting = string

/** The acknowledgement of a greeting. */
export type Ack = 'ack'

/** Spinoff's `ExampleActor`: logs its start and stop, and acknowledges every greeting. */
const Other = defineActor<Greeting>({
  started(_state, ctx) {
    console.log(`${ctx.self.name}: starting`)
  },
  receive(_state, greeting, ctx) {
    console.log(`${ctx.self.name}: ${JSON.stringify(greeting)} from ${ctx.sender?.address ?? 'nobody'}`)
    // spinoff: self.sender << 'ack'
    ctx.sender?.tell('ack' satisfies Ack, ctx.self)
  },
  stopped(_state, ctx, reason) {
    console.log(`${ctx.self.name}: stopping (${reason})`)
  },
})

export default Other
