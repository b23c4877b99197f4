/**
 * tractor's "frank": start a daemon actor in a worker thread, ask it the movie-theatre question
 * through its portal, then cancel it. The function frank runs lives in a module that exposes it
 * (examples/tractor/movie-theatre.ts); frank's node loads that module.
 *
 * Run: npx tsx --conditions=source examples/tractor-frank.ts
 */
import { pathToFileURL } from 'node:url'
import { start } from 'troupe'
import { lines } from './tractor/movie-theatre.ts'

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  try {
    await system.nursery(async (n) => {
      const frank = await n.startActor('frank', { expose: [lines], in: 'thread' })
      console.log(`started ${frank.name} in a worker thread`)
      console.log(await frank.run(lines.movieTheatreQuestion))
      await frank.cancelActor()
      console.log('frank was cancelled; the nursery ends')
    })
  } finally {
    await system.shutdown()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
