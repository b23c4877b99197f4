/**
 * tractor's contexts (`open_context` with a stream): the parent opens a context with a function
 * in a child process, they play ping-pong over it both ways, the parent closes its side and gets
 * the child's result. Then a ticking context is cancelled by `moveOnAfter`, and the child's
 * `finally` runs.
 *
 * Run: npx tsx --conditions=source examples/tractor-context.ts
 */
import { pathToFileURL } from 'node:url'
import { moveOnAfter, start } from 'troupe'
import { game } from './tractor/ping-pong-context.ts'

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
  try {
    await system.nursery(async (n) => {
      const child = await n.startActor('ponger', { expose: [game], in: 'process' })

      const ctx = await child.open(game.ponger, ['ponger'])
      console.log(`parent: the context is open: ${ctx.first}`)
      for (let i = 1; i <= 3; i++) {
        await ctx.send(`ping ${i}`)
        const { value } = await ctx.next()
        console.log(`parent: got ${value}`)
      }
      await ctx.close()
      console.log(`parent: the ponger returned ${await ctx.result()}`)

      let ticks = 0
      await moveOnAfter(300, async () => {
        const ticker = await child.open(game.ticker)
        for await (const tick of ticker) ticks = tick + 1
      })
      console.log(`parent: moveOnAfter cancelled the ticker after ${ticks} ticks`)
      console.log(`parent: the child says the ticker ended after ${await child.run(game.tickerEnded)} ticks`)
      await child.cancelActor()
    })
  } finally {
    await system.shutdown()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
