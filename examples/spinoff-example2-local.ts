/**
 * Spinoff's example2_local: the two actors of examples/spinoff-example2/, unchanged, wired in one
 * process without any network. The main actor greets `other` three times, gets an ack for each,
 * and stops; `other` never learns that it is not across the network this time.
 *
 * Run: npx tsx --conditions=source examples/spinoff-example2-local.ts
 * The same actors on two nodes: see the commands at the top of examples/spinoff-example2/other.ts.
 */
import { pathToFileURL } from 'node:url'
import { start } from 'troupe'
import MainActor from './spinoff-example2/main-actor.ts'
import Other from './spinoff-example2/other.ts'

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  // spinoff: actor1 = self.spawn(ExampleActor); self.spawn(ExampleProcess.using(other_actor=actor1))
  const other = system.spawn(Other, { name: 'other' })
  const mainActor = system.spawn(MainActor, { name: 'main-actor', props: { other_actor: other } })
  const end = await system.watch(mainActor)
  console.log(`main-actor finished (${end.reason})`)
  await system.shutdown()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
