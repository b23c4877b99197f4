import { describe, expect, it } from 'vitest'
import type { Connection, Listener } from '../../../src/transport/index.ts'
import { CapturedLog, cleanupsAfterEach, connectedPair, listen, within } from './support.ts'

const cleanups = cleanupsAfterEach()
function closeAfter<T extends Listener | Connection>(thing: T): T {
  cleanups.push(() => thing[Symbol.asyncDispose]())
  return thing
}

/** Busy for `ms`, as a costly frame's decode is. */
function spin(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

describe('a burst of costly frames', () => {
  it('lets the event loop go round between slices: a timer fires long before the burst is handled', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    closeAfter(client)
    closeAfter(server)
    const frames = 200
    let handled = 0
    const done = new Promise<void>((resolve) => {
      server.onFrame(() => {
        spin(2) // 200 frames of 2 ms: 400 ms, a heartbeat's timeout, if handled in one go
        if (++handled === frames) resolve()
      })
    })
    // Sent in one turn, so they arrive together and are read in one turn of the server's loop.
    for (let i = 0; i < frames; i++) client.send(Buffer.from(`frame ${i}`))
    // A timer set when the first frame is handled stands for the heartbeat that must still run.
    const atTimer = new Promise<number>((resolve) => {
      const first = (): void => {
        if (handled > 0) setTimeout(() => resolve(handled), 0)
        else setImmediate(first)
      }
      first()
    })
    const handledWhenTimerFired = await within(atTimer, 10_000, 'the timer')
    await within(done, 10_000, 'every frame')
    expect(handled).toBe(frames)
    expect(handledWhenTimerFired).toBeLessThan(frames / 2)
  })
})
