import { describe, expect, it } from 'vitest'
import { Dealer, Router } from 'zeromq'
import { type SendingSocket, SendQueue } from '../../../src/flow/majordomo/send-queue.ts'

/**
 * A socket that behaves as a zeromq v6 one: it takes a send at once while it has room, returns a
 * pending promise when it has none, and throws EBUSY synchronously while that one is pending.
 */
class FakeSocket implements SendingSocket {
  readonly taken: string[] = []
  closed = false
  room = Number.POSITIVE_INFINITY
  calls = 0
  failNext: Error | undefined
  private pending: { frames: Buffer[]; resolve: () => void; reject: (e: Error) => void } | undefined

  send(frames: Buffer[]): Promise<void> {
    this.calls++
    if (this.pending !== undefined)
      throw Object.assign(new Error('Socket is busy writing'), { code: 'EBUSY' })
    if (this.failNext !== undefined) {
      const error = this.failNext
      this.failNext = undefined
      return Promise.reject(error)
    }
    if (this.room > 0) {
      this.room--
      this.taken.push(frames.map(String).join(','))
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      this.pending = { frames, resolve, reject }
    })
  }

  /** Makes room for `n` more frame sets and finishes the pending send, as zeromq's poller does. */
  makeRoom(n: number): void {
    this.room = n
    const pending = this.pending
    this.pending = undefined
    if (pending !== undefined) {
      this.taken.push(pending.frames.map(String).join(','))
      pending.resolve()
    }
  }

  close(): void {
    this.closed = true
    const pending = this.pending
    this.pending = undefined
    pending?.reject(Object.assign(new Error('Socket closed'), { code: 'EAGAIN' }))
  }
}

const frames = (text: string): Buffer[] => text.split(',').map((f) => Buffer.from(f))
const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('SendQueue', () => {
  it('writes at once, in the caller turn, while the socket has room', () => {
    const socket = new FakeSocket()
    const queue = new SendQueue(socket, () => {})
    for (let n = 0; n < 5; n++) queue.send(frames(`a,${n}`))
    expect(socket.taken).toEqual(['a,0', 'a,1', 'a,2', 'a,3', 'a,4'])
    expect(queue.pending).toBe(0)
  })

  it('queues behind a send the socket could not take, and writes the rest in order when it settles', async () => {
    const socket = new FakeSocket()
    socket.room = 2
    const queue = new SendQueue(socket, () => {})
    for (let n = 0; n < 6; n++) queue.send(frames(String(n)))
    // 0 and 1 taken, 2 pending in the socket, 3-5 queued without touching the busy socket again.
    expect(socket.taken).toEqual(['0', '1'])
    expect(queue.pending).toBe(3)
    const callsWhileBlocked = socket.calls
    queue.send(frames('6'))
    expect(socket.calls).toBe(callsWhileBlocked)
    socket.makeRoom(2)
    await turn()
    // 2 finished, 3 and 4 taken, 5 pending again; 6 queued behind it.
    expect(socket.taken).toEqual(['0', '1', '2', '3', '4'])
    expect(queue.pending).toBe(1)
    socket.makeRoom(100)
    await queue.flushed()
    expect(socket.taken).toEqual(['0', '1', '2', '3', '4', '5', '6'])
    expect(queue.pending).toBe(0)
  })

  it('flushed() waits for the queued frame sets and resolves at once when none wait', async () => {
    const socket = new FakeSocket()
    socket.room = 0
    const queue = new SendQueue(socket, () => {})
    queue.send(frames('x'))
    queue.send(frames('y'))
    let flushed = false
    const done = queue.flushed().then(() => {
      flushed = true
    })
    await turn()
    expect(flushed).toBe(false)
    socket.makeRoom(10)
    await done
    expect(socket.taken).toEqual(['x', 'y'])
    await queue.flushed()
  })

  it('reports a failed send and goes on with the next', async () => {
    const socket = new FakeSocket()
    const errors: unknown[] = []
    const queue = new SendQueue(socket, (error) => errors.push(error))
    socket.failNext = new Error('boom')
    queue.send(frames('lost'))
    queue.send(frames('next'))
    await queue.flushed()
    expect(errors).toEqual([new Error('boom')])
    expect(socket.taken).toEqual(['next'])
  })

  it('drops what waits once the socket closes, reporting nothing', async () => {
    const socket = new FakeSocket()
    socket.room = 0
    const errors: unknown[] = []
    const queue = new SendQueue(socket, (error) => errors.push(error))
    queue.send(frames('pending'))
    queue.send(frames('queued'))
    socket.close()
    await queue.flushed()
    queue.send(frames('after'))
    expect(socket.taken).toEqual([])
    expect(queue.pending).toBe(0)
    expect(errors).toEqual([])
  })

  it('on a real zeromq socket, writes thousands sent in one turn in order, past its 512 synchronous sends', async () => {
    const router = new Router({ linger: 0 })
    const dealer = new Dealer({ linger: 0 })
    try {
      await router.bind('tcp://127.0.0.1:*')
      dealer.connect(router.lastEndpoint!)
      const errors: unknown[] = []
      const queue = new SendQueue(dealer, (error) => errors.push(error))
      const count = 5_000
      // zeromq gives up the turn after 512 synchronous operations: the next send waits for the
      // event loop, and the ones after it are refused with EBUSY until it is done.
      for (let n = 0; n < count; n++) queue.send([Buffer.from(String(n))])
      expect(queue.pending).toBeGreaterThan(0)
      const received: number[] = []
      while (received.length < count) {
        const [, frame] = await router.receive()
        received.push(Number(frame!.toString()))
      }
      await queue.flushed()
      expect(received).toEqual(Array.from({ length: count }, (_, n) => n))
      expect(errors).toEqual([])
    } finally {
      dealer.close()
      router.close()
    }
  })
})
