/**
 * tractor's aggregator: two streamers, each a daemon in its own child process (so on two cores),
 * stream overlapping ranges; the parent consumes both streams at once and keeps the unique values.
 *
 * Run: npx tsx --conditions=source examples/tractor-aggregator.ts
 */
import { pathToFileURL } from 'node:url'
import { start } from 'troupe'
import { streamers } from './tractor/aggregator.ts'

const COUNT = 100

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  try {
    await system.nursery(async (n) => {
      const seeds = [0, 50]
      const portals = await Promise.all(
        seeds.map((seed) => n.startActor(`streamer-${seed}`, { expose: [streamers], in: 'process' })),
      )
      console.log(`started ${portals.map((p) => p.name).join(' and ')} in two child processes`)
      const unique = new Set<number>()
      let received = 0
      await Promise.all(
        portals.map(async (portal, i) => {
          let mine = 0
          for await (const value of portal.stream(streamers.streamData, [seeds[i] ?? 0, COUNT])) {
            unique.add(value)
            received++
            mine++
          }
          console.log(`${portal.name} finished streaming (${mine} values)`)
        }),
      )
      const values = [...unique].sort((a, b) => a - b)
      console.log(`received ${received} values, ${values.length} unique: ${values[0]}..${values.at(-1)}`)
      await Promise.all(portals.map((portal) => portal.cancelActor()))
      console.log('both streamers cancelled')
    })
  } finally {
    await system.shutdown()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
