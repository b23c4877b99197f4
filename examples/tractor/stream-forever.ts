// An infinite async generator, for examples/tractor-stream-forever.ts: the child process that
// streams it loads this module, which exposes the generator there too.
import { expose, sleep } from 'troupe'

let finished: (items: number) => void = () => {}
/** Resolves with how many items streamForever yielded, once its `finally` has run. */
const ended = new Promise<number>((resolve) => {
  finished = resolve
})

/** tractor's stream_forever: 0, 1, 2, … every 100 ms, until the stream is cancelled. */
async function* streamForever(): AsyncGenerator<number> {
  let i = 0
  try {
    while (true) {
      yield i++
      await sleep(100) // the call's signal is ambient: cancelling the stream interrupts the sleep
    }
  } finally {
    // The child process prints this: its stdout is the parent's.
    console.log(`child process ${process.pid}: streamForever was cancelled after ${i} items (finally ran)`)
    finished(i)
  }
}

/** Waits (up to 3 s) until streamForever has ended, and says after how many items. */
async function streamForeverEnded(): Promise<number | 'still running'> {
  return Promise.race([ended, sleep(3000).then(() => 'still running' as const)])
}

export const streams = expose(import.meta.url, { streamForever, streamForeverEnded })
