// Context functions for examples/tractor-context.ts: the child process that runs them loads this
// module, which exposes them there too. What they print goes to the parent's stdout.
import { type ContextChannel, expose, sleep } from 'troupe'

/** Answers each 'ping n' with 'pong n' until the caller closes its side; returns how many it answered. */
async function ponger(channel: ContextChannel<string, string, string>, name: string): Promise<number> {
  channel.started(`${name} is ready in process ${process.pid}`)
  let answered = 0
  for await (const ping of channel) {
    console.log(`child: got ${ping}`)
    await channel.send(ping.replace('ping', 'pong'))
    answered++
  }
  console.log(`child: the parent closed its side after ${answered} pings`)
  return answered
}

let cancelled: (ticks: number) => void = () => {}
const ended = new Promise<number>((resolve) => {
  cancelled = resolve
})

/** Sends a tick every 50 ms until it is cancelled, and says so in its `finally`. */
async function ticker(channel: ContextChannel<never, number>): Promise<never> {
  channel.started()
  let ticks = 0
  try {
    while (true) {
      await channel.send(ticks)
      ticks++
      await sleep(50) // the context's signal is ambient: cancelling it interrupts the sleep
    }
  } finally {
    console.log(`child: ticker was cancelled after ${ticks} ticks (finally ran)`)
    cancelled(ticks)
  }
}

/** Waits (up to 3 s) until the ticker has been cancelled, and says after how many ticks. */
async function tickerEnded(): Promise<number | 'still running'> {
  return Promise.race([ended, sleep(3000).then(() => 'still running' as const)])
}

export const game = expose(import.meta.url, { ponger, ticker, tickerEnded })
