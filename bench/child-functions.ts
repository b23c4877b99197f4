// The functions the child-node figures run through portals, and the actor they run in: a child
// node loads this module among its `modules`, which registers the same functions there.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { defineActor, expose } from 'troupe'

/** The round trip's echo: `i + 1`. */
function echo(i: number): number {
  return i + 1
}

/** 0, 1, 2, … up to `limit` (exclusive): small numbers, as the stream figures send. */
async function* numbers(limit: number): AsyncGenerator<number> {
  for (let i = 0; i < limit; i++) yield i
}

/** How many items `countedNumbers` has yielded: the stream-heap figures read how far it ran ahead. */
let count = 0

/** `numbers`, counting what it yields (the count is set before each item leaves the generator). */
async function* countedNumbers(limit: number): AsyncGenerator<number> {
  count = 0
  for (let i = 0; i < limit; i++) {
    count = i + 1
    yield i
  }
}

/**
 * `limit` items of `bytes` of payload (every byte `i % 256`) with their place `i`, counted as
 * `countedNumbers` counts.
 */
async function* countedBlocks(limit: number, bytes: number): AsyncGenerator<{ i: number; data: Buffer }> {
  count = 0
  for (let i = 0; i < limit; i++) {
    count = i + 1
    yield { i, data: Buffer.alloc(bytes, i % 256) }
  }
}

/** How many items `countedNumbers` or `countedBlocks` has yielded so far. */
function yielded(): number {
  return count
}

/**
 * A child node's side of a stream-heap memory probe: its live memory after full collections
 * (`heapUsed` + `arrayBuffers`) and how many items `countedNumbers` has yielded so far. A child
 * process is not started with `--expose-gc`, so the flag is set here at the first probe; a worker
 * thread has `gc` from its parent's flags, which V8 shares across the process.
 */
function probe(): { memory: number; yielded: number } {
  collect()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return { memory: heapUsed + arrayBuffers, yielded: count }
}

let gc: (() => void) | undefined

function collect(): void {
  if (gc === undefined) {
    if (globalThis.gc === undefined) setFlagsFromString('--expose-gc')
    gc = globalThis.gc ?? (runInNewContext('gc') as () => void)
  }
  gc()
  gc()
}

/** The primes in [from, to), by trial division: CPU-bound work for the fan-out figure. */
export function countPrimes(from: number, to: number): number {
  let found = 0
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false
        break
      }
    }
    if (prime) found++
  }
  return found
}

export const benchFunctions = expose(import.meta.url, {
  echo,
  numbers,
  countedNumbers,
  countedBlocks,
  yielded,
  probe,
  countPrimes,
})

/** The actor portals run the functions in; it answers `ping` so a spawn can be awaited. */
export const Host = defineActor<{ type: 'ping' }, null>({
  init: () => null,
  receive(state, _msg, ctx) {
    ctx.reply('pong')
    return state
  },
})
