/**
 * One-way messaging through a graph, as compysition's first example: a Ticker sends an event
 * every 100 ms, fanned out to two Stdout components (the same frozen event to both).
 *
 * Run: npx tsx --conditions=source examples/flow-one-way.ts
 */
import { start } from 'troupe'
import { director, Stdout, Ticker } from 'troupe/flow'

const system = await start({ logLevel: 'warn' })
const flow = director(system)
const ticker = flow.add('ticker', Ticker({ intervalMs: 100, count: 3, data: (n) => `tick ${n}` }))
// Both Stdouts write through this, to know when the six lines are out.
let lines = 0
let allOut = () => {}
const six = new Promise<void>((resolve) => {
  allOut = resolve
})
const write = (line: string) => {
  process.stdout.write(line)
  if (++lines === 6) allOut()
}
const left = flow.add('left', Stdout({ prefix: 'left:  ', write }))
const right = flow.add('right', Stdout({ prefix: 'right: ', write }))
flow.connect(ticker, [left, right])
await flow.start()
await six
await flow.stop()
console.log('the graph stopped with nothing in flight:', (await flow.inFlight()) === 0)
await system.shutdown()
