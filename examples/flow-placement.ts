/**
 * The same graph code with components in other processes and threads: a Ticker sends numbers,
 * `primes` counts the primes below each in a child process, `mark` notes its thread in a worker
 * thread, and a Stdout here prints the result. Placed components come from
 * `exposeComponents(import.meta.url, …)`, called before `start()`: a child loads this module up
 * to `start()` and finds them there by name. `{ on: node }` places one on another node the same way.
 *
 * Run: npx tsx --conditions=source examples/flow-placement.ts
 */
import { threadId } from 'node:worker_threads'
import { start } from 'troupe'
import { director, exposeComponents, Stdout, Ticker, Transform } from 'troupe/flow'

interface Counted {
  readonly n: number
  readonly primes: number
  readonly pid: number
  readonly thread?: number
}

/** The primes below `n`, by trial division: work worth a process of its own. */
function primesBelow(n: number): number {
  let count = 0
  for (let i = 2; i < n; i++) {
    let prime = true
    for (let d = 2; d * d <= i; d++)
      if (i % d === 0) {
        prime = false
        break
      }
    if (prime) count++
  }
  return count
}

export const parts = exposeComponents(import.meta.url, {
  primes: Transform((n: number): Counted => ({ n, primes: primesBelow(n), pid: process.pid })),
  mark: Transform((counted: Counted): Counted => ({ ...counted, thread: threadId })),
})

const system = await start({ logLevel: 'warn' })
const flow = director(system)
let printed = 0
let allPrinted = () => {}
const three = new Promise<void>((resolve) => {
  allPrinted = resolve
})
flow.add('numbers', Ticker({ intervalMs: 50, count: 3, data: (i) => i * 10_000 }))
flow.add('primes', parts.primes, { in: 'process' })
flow.add('mark', parts.mark, { in: 'thread' })
flow.add(
  'say',
  Transform(
    (c: Counted) =>
      `${c.primes} primes below ${c.n}: counted in ${c.pid === process.pid ? 'this' : 'another'} process, marked in ${c.thread === threadId ? 'this thread' : 'a worker thread'}`,
  ),
)
flow.add(
  'out',
  Stdout({
    write: (line) => {
      process.stdout.write(line)
      if (++printed === 3) allPrinted()
    },
  }),
)
flow.connect('numbers', 'primes').connect('primes', 'mark').connect('mark', 'say').connect('say', 'out')
await flow.start()
await three
await flow.stop()
await system.shutdown()
