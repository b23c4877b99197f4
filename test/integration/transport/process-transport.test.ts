import { type ChildProcess, spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionLostError, HandshakeError } from '../../../src/transport/index.ts'
import {
  type ProcessExitError as ExitError,
  ProcessExitError,
  type SpawnProcessOptions,
  spawnProcess,
  terminateProcess,
} from '../../../src/transport/process/index.ts'
import type { Connection } from '../../../src/transport/transport.ts'
import { FrameTooLargeError } from '../../../src/wire/errors.ts'
import { processGone } from '../../support/processes.ts'
import { root } from '../../support/run-node.ts'
import { within } from './support.ts'

const childEntry = new URL('../../fixtures/process-child.ts', import.meta.url)
const started: ChildProcess[] = []
const strayPids: number[] = []

afterEach(async () => {
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  await Promise.all(
    started.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }),
  )
})

async function spawnChild(mode: string, options: Partial<SpawnProcessOptions> = {}) {
  const spawned = await spawnProcess({
    entry: childEntry,
    args: [mode],
    node: 'parent',
    incarnation: 'parent-incarnation',
    childNode: 'child-1',
    forwardStderr: false,
    ...options,
  })
  started.push(spawned.child)
  return spawned
}

/** Collects the frames of a connection (copied) and lets a test wait for a number of them. */
class Frames {
  readonly bodies: Buffer[] = []
  private wanted: { count: number; resolve: () => void } | undefined

  /** @param busyMs how long the handler spins on each frame, as a costly one would. */
  constructor(connection: Connection, busyMs = 0) {
    connection.onFrame((body) => {
      const until = performance.now() + busyMs
      while (performance.now() < until) {}
      this.bodies.push(Buffer.from(body))
      if (this.wanted !== undefined && this.bodies.length >= this.wanted.count) this.wanted.resolve()
    })
  }

  /** Resolves with the first `count` frames once they have arrived; rejects at the deadline. */
  async first(count: number, ms = 10_000): Promise<Buffer[]> {
    if (this.bodies.length < count)
      await within(
        new Promise<void>((resolve) => {
          this.wanted = { count, resolve }
        }),
        ms,
        `${count} frames (${this.bodies.length} arrived)`,
      )
    return this.bodies.slice(0, count)
  }
}

function exitOf(child: ChildProcess, ms = 5_000): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return within(
    new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    ms,
    'the child to exit',
  )
}

const text = (body: Uint8Array) => Buffer.from(body).toString('utf8')

describe('process transport', () => {
  it('says hello both ways, carries the statespace, and round-trips frames', async () => {
    const data = { shard: 3, tags: ['a', 'b'], nested: { depth: 2 } }
    const before = performance.now()
    const { connection, child } = await spawnChild('echo', { data, logLevel: 'debug' })
    const spawnMs = performance.now() - before
    expect(spawnMs).toBeLessThan(10_000)
    expect(connection.peer.node).toBe('child-1')
    expect(connection.peer.incarnation).toMatch(/^[0-9a-f-]{36}$/)
    expect(connection.local).toEqual({ node: 'parent', incarnation: 'parent-incarnation' })
    expect(connection.remoteAddress).toBe(`process ${child.pid}`)
    const frames = new Frames(connection)
    connection.send(Buffer.from('ping'))
    const [report, echo] = await frames.first(2)
    expect(JSON.parse(text(report!))).toEqual({
      node: 'child-1',
      peer: { node: 'parent', incarnation: 'parent-incarnation' },
      data,
      logLevel: 'debug',
    })
    expect(text(echo!)).toBe('ping')
  })

  it('carries 100k frames in order both ways', async () => {
    const { connection } = await spawnChild('echo')
    const frames = new Frames(connection)
    await frames.first(1)
    const count = 100_000
    for (let n = 0; n < count; n++) {
      const body = Buffer.allocUnsafe(8)
      body.writeUInt32BE(n)
      body.writeUInt32BE(count - n, 4)
      connection.send(body)
    }
    const echoed = (await frames.first(1 + count)).slice(1)
    expect(echoed.every((body, n) => body.length === 8 && body.readUInt32BE(0) === n)).toBe(true)
    connection.send(Buffer.from(`flood ${count}`))
    const flooded = (await frames.first(1 + 2 * count)).slice(1 + count)
    expect(flooded.every((body, n) => body.length === 4 && body.readUInt32BE(0) === n)).toBe(true)
  })

  it('runs a TypeScript child that imports troupe and starts a system', async () => {
    const { connection, child } = await spawnChild('troupe')
    const frames = new Frames(connection)
    const [report] = await frames.first(1)
    expect(JSON.parse(text(report!))).toMatchObject({ doubled: 42 })
    connection.close()
    expect(await within(connection.closed(), 5_000, 'closed')).toBeUndefined()
    expect(await exitOf(child)).toEqual({ code: 0, signal: null })
  })

  it('closes cleanly from the parent: the child exits by itself', async () => {
    const { connection, child } = await spawnChild('echo')
    await new Frames(connection).first(1)
    connection.send(Buffer.from('last'))
    connection.close()
    connection.close()
    expect(await within(connection.closed(), 5_000, 'closed')).toBeUndefined()
    expect(await exitOf(child)).toEqual({ code: 0, signal: null })
    expect(connection.writableNeedDrain).toBe(false)
    await connection.drained()
  })

  it('closes cleanly from the child', async () => {
    const { connection, child } = await spawnChild('echo')
    await new Frames(connection).first(1)
    connection.send(Buffer.from('close'))
    expect(await within(connection.closed(), 5_000, 'closed')).toBeUndefined()
    expect(await exitOf(child)).toEqual({ code: 0, signal: null })
  })

  it('delivers every frame the child sent before its clean close', async () => {
    const { connection } = await spawnChild('echo')
    const frames = new Frames(connection)
    await frames.first(1)
    const count = 50_000
    connection.send(Buffer.from(`flood ${count}`))
    connection.send(Buffer.from('close'))
    expect(await within(connection.closed(), 10_000, 'closed')).toBeUndefined()
    const flooded = frames.bodies.slice(1)
    expect(flooded.length).toBe(count)
    expect(flooded.every((body, n) => body.readUInt32BE(0) === n)).toBe(true)
  })

  it('delivers the frames it held back for a later turn before the clean close that follows them', async () => {
    const { connection } = await spawnChild('echo')
    // 0.1 ms a frame: the inbox hands on 20 ms a turn and holds the rest while the close arrives.
    const frames = new Frames(connection, 0.1)
    await frames.first(1)
    const count = 2_000
    connection.send(Buffer.from(`flood ${count}`))
    connection.send(Buffer.from('close'))
    expect(await within(connection.closed(), 10_000, 'closed')).toBeUndefined()
    const flooded = frames.bodies.slice(1)
    expect(flooded.length).toBe(count)
    expect(flooded.every((body, n) => body.readUInt32BE(0) === n)).toBe(true)
  })

  it('rejects with the exit code and stderr of a child that dies before hello', async () => {
    const error = await spawnChild('crash-before-hello').catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(ProcessExitError)
    expect((error as ExitError).exitCode).toBe(3)
    expect((error as Error).message).toMatch(/exited with code 3 before it said hello/)
    expect((error as Error).message).toContain('the configuration is missing')
  })

  it('resolves closed() with the exit code and stderr of a child that crashes after hello', async () => {
    const { connection } = await spawnChild('crash-after-hello')
    const error = await within(connection.closed(), 10_000, 'closed')
    expect(error).toBeInstanceOf(ProcessExitError)
    expect(error!.message).toMatch(/exited with code 1 while connected/)
    expect(error!.message).toContain('exploded right after hello')
  })

  it('terminates a child stuck in a synchronous loop within the grace period', async () => {
    const { connection, child } = await spawnChild('stuck')
    const frames = new Frames(connection)
    expect(text((await frames.first(1))[0]!)).toBe('ready')
    connection.send(Buffer.from('spin'))
    const before = performance.now()
    await within(terminateProcess(child, 500), 3_000, 'terminateProcess')
    expect(performance.now() - before).toBeLessThan(500 + 1_500)
    expect(child.signalCode).toBe('SIGKILL')
    expect(await within(connection.closed(), 3_000, 'closed')).toBeUndefined()
    await terminateProcess(child, 500)
  })

  it('reports backpressure from a child that does not read, and resolves drained() when it goes', async () => {
    const { connection, child } = await spawnChild('stuck')
    await new Frames(connection).first(1)
    connection.send(Buffer.from('spin'))
    const body = Buffer.alloc(512 * 1024)
    for (let n = 0; n < 400 && !connection.writableNeedDrain; n++) {
      connection.send(body)
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(connection.writableNeedDrain).toBe(true)
    const drained = connection.drained()
    await terminateProcess(child, 200)
    await within(drained, 3_000, 'drained')
  })

  it('leaves no orphan: the child exits within 2 s of its parent being killed', async () => {
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', 'test/fixtures/process-orphan-parent.ts'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    started.push(parent)
    let stderr = ''
    parent.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    let stdout = ''
    const childPid = await within(
      new Promise<number>((resolve, reject) => {
        parent.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk
          const end = stdout.indexOf('\n')
          if (end >= 0) resolve((JSON.parse(stdout.slice(0, end)) as { child: number }).child)
        })
        parent.once('exit', (code) => reject(new Error(`the parent exited with ${code}: ${stderr}`)))
      }),
      15_000,
      'the parent to start its child',
    )
    strayPids.push(childPid)
    expect(processGone(childPid)).toBe(false)
    parent.kill('SIGKILL')
    await exitOf(parent)
    const deadline = performance.now() + 2_000
    while (!processGone(childPid) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25))
    expect(processGone(childPid), `child ${childPid} still runs 2 s after its parent was killed`).toBe(true)
  })

  it('closes the connection on a frame over maxFrameBytes, in either direction', async () => {
    const first = await spawnChild('echo', { maxFrameBytes: 1024 })
    await new Frames(first.connection).first(1)
    first.connection.send(Buffer.from('big 2048'))
    const tooLarge = await within(first.connection.closed(), 5_000, 'closed')
    expect(tooLarge).toBeInstanceOf(FrameTooLargeError)
    expect(await exitOf(first.child)).toEqual({ code: 0, signal: null })

    const second = await spawnChild('echo')
    await new Frames(second.connection).first(1)
    second.connection.send(Buffer.alloc(1024 * 1024 + 1))
    const refused = await within(second.connection.closed(), 5_000, 'closed')
    expect(refused).toBeInstanceOf(ConnectionLostError)
    expect(refused!.message).toMatch(/closed by the peer: a frame of 1048577 bytes exceeds the limit/)
  })

  it('closes the connection when the frame handler throws', async () => {
    const { connection } = await spawnChild('echo')
    connection.onFrame(() => {
      throw new Error('handler refuses')
    })
    const error = await within(connection.closed(), 5_000, 'closed')
    expect(error?.message).toBe('handler refuses')
  })

  it('refuses a child that never says hello within the handshake timeout', async () => {
    const error = await spawnProcess({
      entry: new URL('../../fixtures/process-child.ts', import.meta.url),
      args: ['echo'],
      execArgv: ['--eval', 'setInterval(() => {}, 1000)'],
      node: 'parent',
      incarnation: 'parent-incarnation',
      childNode: 'child-1',
      handshakeTimeoutMs: 300,
      forwardStderr: false,
    }).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(HandshakeError)
    expect((error as HandshakeError).reason).toBe('timeout')
  })
})
