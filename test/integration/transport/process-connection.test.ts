import { mkdtempSync, rmSync } from 'node:fs'
import { connect as connectSocket, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { IpcChannel } from '../../../src/transport/process/ipc-channel.ts'
import { ProcessConnection } from '../../../src/transport/process/process-connection.ts'
import { within } from './support.ts'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** Two connected sockets, as the socket pair of a parent and its child. */
async function socketPair(): Promise<[Socket, Socket]> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-pair-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'pair.sock')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(path, resolve))
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  const client = connectSocket(path)
  const pair: [Socket, Socket] = [await accepted, client]
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  server.close()
  cleanups.push(() => {
    for (const socket of pair) socket.destroy()
  })
  return pair
}

/**
 * Two connections over a socket pair, with an IPC channel between them that this test drives:
 * `deliver` hands what one side sent on it to the other, and a disconnect ends it for both.
 */
async function connectedPair() {
  const [a, b] = await socketPair()
  const queued: { to: 'a' | 'b'; message: unknown }[] = []
  let connected = true
  const sides: Record<'a' | 'b', ProcessConnection> = {} as never
  const channel = (to: 'a' | 'b'): IpcChannel => ({
    send(message, callback) {
      queued.push({ to, message })
      queueMicrotask(() => callback(null))
      return true
    },
    disconnect() {
      if (!connected) return
      connected = false
      // The channel's end reaches both sides at once, before the pipe's bytes are read.
      queueMicrotask(() => {
        for (const { to, message } of queued.splice(0)) sides[to].receive(message)
        sides.a.channelClosed(new Error('lost a'))
        sides.b.channelClosed(new Error('lost b'))
      })
    },
    get connected() {
      return connected
    },
  })
  const options = {
    maxFrameBytes: 1024 * 1024,
    closeTimeoutMs: 2_000,
    logger: pino({ level: 'silent' }),
    remoteAddress: 'test',
  }
  sides.a = new ProcessConnection({
    ...options,
    channel: channel('b'),
    pipe: a,
    local: { node: 'a', incarnation: 'a-1' },
    peer: { node: 'b', incarnation: 'b-1' },
  })
  sides.b = new ProcessConnection({
    ...options,
    channel: channel('a'),
    pipe: b,
    local: { node: 'b', incarnation: 'b-1' },
    peer: { node: 'a', incarnation: 'a-1' },
  })
  return sides
}

describe('process connection over a socket pair', () => {
  it('reads the pipe to its end when the close and the end of the channel come before the frames', async () => {
    const { a, b } = await connectedPair()
    const received: number[] = []
    b.onFrame((body) => received.push(Buffer.from(body).readUInt32BE(0)))
    const count = 20_000
    for (let n = 0; n < count; n++) {
      const body = Buffer.allocUnsafe(4)
      body.writeUInt32BE(n)
      a.send(body)
    }
    a.close()
    expect(await within(b.closed(), 5_000, 'b closed')).toBeUndefined()
    expect(await within(a.closed(), 5_000, 'a closed')).toBeUndefined()
    expect(received.length).toBe(count)
    expect(received.every((value, n) => value === n)).toBe(true)
  })

  it('drops the rest of the frames when the peer closes with an error', async () => {
    const { a, b } = await connectedPair()
    b.onFrame(() => {})
    a.send(Buffer.from('one'))
    a.close(new Error('gave up'))
    const error = await within(b.closed(), 5_000, 'b closed')
    expect(error?.message).toMatch(/gave up/)
    expect((await within(a.closed(), 5_000, 'a closed'))?.message).toBe('gave up')
  })
})
