// The functions the child-node figures run through portals, and the actor they run in: a child
// node loads this module among its `modules`, which registers the same functions there.
import { defineActor, expose } from 'troupe'

/** The round trip's echo: `i + 1`. */
function echo(i: number): number {
  return i + 1
}

/** 0, 1, 2, … up to `limit` (exclusive): small numbers, as the stream figures send. */
async function* numbers(limit: number): AsyncGenerator<number> {
  for (let i = 0; i < limit; i++) yield i
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

export const benchFunctions = expose(import.meta.url, { echo, numbers, countPrimes })

/** The actor portals run the functions in; it answers `ping` so a spawn can be awaited. */
export const Host = defineActor<{ type: 'ping' }, null>({
  init: () => null,
  receive(state, _msg, ctx) {
    ctx.reply('pong')
    return state
  },
})
