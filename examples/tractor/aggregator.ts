// The streamers of examples/tractor-aggregator.ts: each child process loads this module, which
// exposes the generator there too.
import { expose, sleep } from 'troupe'

/** tractor's stream_data: seed, seed + 1, …, seed + count - 1. */
async function* streamData(seed: number, count: number): AsyncGenerator<number> {
  for (let i = seed; i < seed + count; i++) {
    yield i
    if (i % 10 === 0) await sleep(1) // let the other streamer have a turn now and then
  }
}

export const streamers = expose(import.meta.url, { streamData })
