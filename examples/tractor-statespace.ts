/**
 * tractor's statespace: the parent gives its child an initial state when it starts it (`data`);
 * the child reads it with `childData()` and hands it back through a run.
 *
 * Run: npx tsx --conditions=source examples/tractor-statespace.ts
 */
import { pathToFileURL } from 'node:url'
import { start } from 'troupe'
import { type Statespace, statespace } from './tractor/statespace.ts'

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  try {
    await system.nursery(async (n) => {
      const state: Statespace = { doggy: 10, kitty: '4' }
      console.log(`parent: starting a child with the statespace ${JSON.stringify(state)}`)
      const child = await n.startActor('statespace', { expose: [statespace], in: 'process', data: state })
      const seen = await child.run(statespace.readStatespace)
      const where = seen.pid === process.pid ? 'this process' : 'another process'
      console.log(`child ${seen.actor} (in ${where}) read the statespace ${JSON.stringify(seen.state)}`)
      await child.cancelActor()
    })
  } finally {
    await system.shutdown()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
