/**
 * tractor's "stream forever": a child process streams an infinite async generator; the parent
 * reads it under `moveOnAfter(1000, …)`. After a second the loop is cancelled, and so is the
 * generator in the child: its `finally` runs there.
 *
 * Run: npx tsx --conditions=source examples/tractor-stream-forever.ts
 */
import { pathToFileURL } from 'node:url'
import { moveOnAfter, start } from 'troupe'
import { streams } from './tractor/stream-forever.ts'

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  try {
    await system.nursery(async (n) => {
      const streamer = await n.startActor('streamer', { expose: [streams], in: 'process' })
      let received = 0
      const began = Date.now()
      const result = await moveOnAfter(1000, async () => {
        for await (const item of streamer.stream(streams.streamForever)) {
          received++
          console.log(`parent: got ${item}`)
        }
        return 'the stream ended by itself'
      })
      console.log(
        result === undefined
          ? `cancelled after 1 s (${Date.now() - began} ms): the loop ended with ${received} items`
          : result,
      )
      const ended = await streamer.run(streams.streamForeverEnded)
      console.log(`parent: the child says streamForever ended after ${ended} items`)
      await streamer.cancelActor()
    })
  } finally {
    await system.shutdown()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
