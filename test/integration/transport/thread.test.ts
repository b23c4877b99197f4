import type { Worker } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionLostError } from '../../../src/transport/errors.ts'
import {
  type SpawnThreadOptions,
  spawnThread,
  ThreadExitError,
  terminateThread,
} from '../../../src/transport/thread/index.ts'
import type { Connection } from '../../../src/transport/transport.ts'
import { FrameTooLargeError } from '../../../src/wire/errors.ts'
import { CapturedLog, within } from './support.ts'

const fixture = (name: string): URL => new URL(`../../fixtures/${name}`, import.meta.url)

let workers: Worker[] = []
afterEach(async () => {
  const running = workers
  workers = []
  await Promise.all(running.map((worker) => worker.terminate()))
})

async function spawn(
  entry: string,
  options: Partial<SpawnThreadOptions> = {},
): Promise<{ connection: Connection; worker: Worker }> {
  const thread = await spawnThread({
    entry: fixture(entry),
    node: 'parent',
    incarnation: 'parent-1',
    childNode: 'child',
    helloTimeoutMs: 15_000,
    ...options,
  })
  workers.push(thread.worker)
  return thread
}

/** Resolves once `count` frames numbered 0.. in their first 4 bytes have arrived, in order. */
function numbered(connection: Connection, count: number): Promise<number> {
  return within(
    new Promise<number>((resolve, reject) => {
      let next = 0
      connection.onFrame((body) => {
        const n = Buffer.from(body.buffer, body.byteOffset, body.length).readUInt32BE(0)
        if (n !== next) reject(new Error(`frame ${n} where ${next} was expected`))
        if (++next === count) resolve(next)
      })
    }),
    15_000,
    `${count} frames`,
  )
}

describe('thread transport', () => {
  it('says hello and round-trips frames both ways', async () => {
    const started = performance.now()
    const { connection } = await spawn('thread-echo.ts')
    const spawnMs = performance.now() - started
    console.log(`spawnThread of a .ts entry to connection ready: ${spawnMs.toFixed(0)} ms`)
    expect(connection.peer).toEqual({ node: 'child', incarnation: 'echo-1' })
    expect(connection.local).toEqual({ node: 'parent', incarnation: 'parent-1' })
    expect(connection.writableNeedDrain).toBe(false)
    await connection.drained()
    const echoed = within(
      new Promise<string>((resolve) => connection.onFrame((body) => resolve(Buffer.from(body).toString()))),
      5_000,
      'the echo',
    )
    const body = Buffer.from('hello thread')
    connection.send(body)
    body.fill(0) // the body was copied at once
    expect(await echoed).toBe('hello thread')
  })

  it('carries 100k frames in order both ways', async () => {
    const count = 100_000
    const { connection } = await spawn('thread-echo.ts', { data: { flood: count } })
    // The thread floods first (frames held until the handler is set), then echoes what we send.
    const arrived = numbered(connection, 2 * count)
    const body = Buffer.alloc(16)
    for (let n = count; n < 2 * count; n++) {
      body.writeUInt32BE(n, 0)
      connection.send(body)
    }
    expect(await arrived).toBe(2 * count)
  })

  it('runs a TypeScript entry that imports troupe and gets its workerData', async () => {
    const { connection } = await spawn('thread-system.ts', {
      childNode: 'system-child',
      data: { shard: 3, tags: ['a', 'b'], when: new Date(0) },
    })
    const frames: string[] = []
    let wake: (() => void) | undefined
    connection.onFrame((body) => {
      frames.push(Buffer.from(body).toString())
      wake?.()
    })
    const next = async (): Promise<string> => {
      while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      return frames.shift()!
    }
    const first = JSON.parse(await within(next(), 10_000, 'the report')) as Record<string, unknown>
    expect(first.data).toEqual({ shard: 3, tags: ['a', 'b'], when: new Date(0).toISOString() })
    expect(first.peer).toEqual({ node: 'parent', incarnation: 'parent-1' })
    expect((first.local as { node: string }).node).toBe('system-child')
    connection.send(Buffer.from('2'))
    expect(await within(next(), 5_000, 'a reply')).toBe('2')
    connection.send(Buffer.from('5'))
    expect(await within(next(), 5_000, 'a reply')).toBe('7')
  })

  it('a close by the parent resolves closed() on both sides, and the thread exits', async () => {
    const { connection, worker } = await spawn('thread-echo.ts', { data: { closeAfter: 1_000_000 } })
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
    const echoed = new Promise<void>((resolve) => connection.onFrame(() => resolve()))
    connection.send(Buffer.from('x'))
    await within(echoed, 5_000, 'the echo')
    connection.close()
    expect(await within(connection.closed(), 5_000, 'closed')).toBeUndefined()
    // The thread's port closed, so nothing keeps it alive.
    expect(await within(exited, 5_000, 'the thread to exit')).toBe(0)
  })

  it('a close by the thread resolves closed() on the parent cleanly', async () => {
    const { connection } = await spawn('thread-echo.ts', { data: { closeAfter: 3 } })
    let echoes = 0
    connection.onFrame(() => {
      echoes++
    })
    for (let n = 0; n < 3; n++) connection.send(Buffer.from([n]))
    expect(await within(connection.closed(), 5_000, 'closed')).toBeUndefined()
    expect(echoes).toBe(3) // the thread flushed its echoes before closing
  })

  it('a close with an error resolves closed() with that error', async () => {
    const { connection } = await spawn('thread-echo.ts')
    const error = new Error('enough')
    connection.close(error)
    expect(await within(connection.closed(), 5_000, 'closed')).toBe(error)
  })

  it('a thread that throws at top level closes the connection with an error that says why', async () => {
    const log = new CapturedLog()
    const { connection } = await spawn('thread-echo.ts', {
      data: { crashAfterHello: true },
      logger: log.logger,
    })
    const error = await within(connection.closed(), 5_000, 'closed')
    expect(error).toBeInstanceOf(ThreadExitError)
    expect(error!.message).toBe(
      'thread child exited with code 1: uncaught Error: the thread fixture crashed on purpose',
    )
    expect((error as ThreadExitError).exitCode).toBe(1)
    expect((error!.cause as Error).message).toBe('the thread fixture crashed on purpose')
  })

  it('spawnThread rejects when the thread fails before its hello', async () => {
    const failure = await spawnThread({
      entry: fixture('thread-crash.mjs'),
      node: 'parent',
      incarnation: 'parent-1',
      childNode: 'child',
    }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ThreadExitError)
    expect((failure as Error).message).toMatch(
      /exited with code 1: uncaught Error: the thread fixture failed to start/,
    )
  })

  it('terminateThread ends a thread stuck in a synchronous loop within its grace period', async () => {
    const { connection, worker } = await spawn('thread-stuck.ts')
    const graceMs = 300
    const started = performance.now()
    const code = await within(terminateThread(worker, graceMs), 5_000, 'terminateThread')
    const took = performance.now() - started
    expect(code).toBe(1)
    expect(took).toBeGreaterThanOrEqual(graceMs - 5)
    expect(took).toBeLessThan(graceMs + 1_500)
    expect(await connection.closed()).toBeUndefined() // closed by this side, cleanly
  })

  it('terminateThread of a cooperative thread returns once it exits by itself', async () => {
    const { worker } = await spawn('thread-echo.ts')
    const started = performance.now()
    expect(await within(terminateThread(worker, 10_000), 5_000, 'terminateThread')).toBe(0)
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('a frame over maxFrameBytes from the thread closes the connection with a FrameTooLargeError', async () => {
    const log = new CapturedLog()
    const { connection } = await spawn('thread-echo.ts', {
      maxFrameBytes: 1024,
      data: { sendBytes: 2048 },
      logger: log.logger,
    })
    connection.onFrame(() => {
      throw new Error('no frame should arrive')
    })
    const error = await within(connection.closed(), 5_000, 'closed')
    expect(error).toBeInstanceOf(FrameTooLargeError)
    expect(error!.message).toBe('a frame of 2048 bytes exceeds the limit of 1024 bytes (maxFrameBytes)')
    expect(log.warnings()).toEqual([
      'closing connection to thread child (id ' +
        String(connection.remoteAddress.match(/id (\d+)/)![1]) +
        '): ' +
        error!.message,
    ])
  })

  it('a frame over maxFrameBytes to the thread makes the thread close the connection', async () => {
    const { connection } = await spawn('thread-echo.ts', { maxFrameBytes: 1024 })
    connection.send(Buffer.alloc(2048))
    const error = await within(connection.closed(), 5_000, 'closed')
    expect(error).toBeInstanceOf(ConnectionLostError)
    expect(error!.message).toMatch(
      /the peer closed the connection: a frame of 2048 bytes exceeds the limit of 1024/,
    )
  })

  it('a throwing frame handler closes the connection with its error', async () => {
    const { connection } = await spawn('thread-echo.ts')
    const error = new Error('handler failed')
    connection.onFrame(() => {
      throw error
    })
    connection.send(Buffer.from('x'))
    expect(await within(connection.closed(), 5_000, 'closed')).toBe(error)
  })
})
