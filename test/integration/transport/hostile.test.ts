import type net from 'node:net'
import { describe, expect, it } from 'vitest'
import type { Connection, Listener } from '../../../src/transport/index.ts'
import { runTypeScript } from '../../support/run-node.ts'
import {
  CapturedLog,
  cleanupsAfterEach,
  connectedPair,
  handshakeByHand,
  listen,
  portOf,
  rawSocket,
  socketClosed,
  within,
} from './support.ts'

const cleanups = cleanupsAfterEach()
function closeAfter<T extends Listener | Connection | net.Socket>(thing: T): T {
  cleanups.push(() => ('destroy' in thing ? thing.destroy() : thing[Symbol.asyncDispose]()))
  return thing
}

const MiB = 1024 * 1024

/** Opens a raw socket that reads (and drops) whatever the listener says. */
async function raw(listener: Listener): Promise<net.Socket> {
  const socket = closeAfter(await rawSocket(portOf(listener)))
  socket.resume()
  return socket
}

/** The listener still serves: a good client gets an echo. */
async function stillServes(listener: Listener, log: CapturedLog): Promise<void> {
  const { client, server } = await connectedPair(listener, log)
  closeAfter(client)
  server.onFrame((body) => server.send(body))
  const echoed = new Promise<string>((resolve) =>
    client.onFrame((body) => resolve(Buffer.from(body).toString())),
  )
  client.send(Buffer.from('still here'))
  expect(await within(echoed, 5_000, 'the echo')).toBe('still here')
}

describe('hostile bytes close only the connection that carried them', () => {
  it('garbage instead of a handshake', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const socket = await raw(listener)
    socket.write(Buffer.from([0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef]))
    await socketClosed(socket, 5_000)
    const line = await log.waitFor((l) => l.msg.startsWith('refused connection'), 'of the refusal')
    expect(line.msg).toMatch(/^refused connection from 127\.0\.0\.1:\d+: malformed handshake: /)
    expect(line.err?.type).toBe('HandshakeError') // a ProtocolError
    await stillServes(listener, log)
  })

  it('an HTTP request instead of a handshake', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const socket = await raw(listener)
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await socketClosed(socket, 5_000)
    const line = await log.waitFor((l) => l.msg.startsWith('refused connection'), 'of the refusal')
    // 'GET ' read as a length is 1.2 GB: refused as too large for a handshake frame.
    expect(line.msg).toContain(
      'malformed handshake: a frame of 1195725856 bytes exceeds the limit of 1024 bytes',
    )
    await stillServes(listener, log)
  })

  it('a 2^32-1 length prefix before the handshake allocates nothing', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const before = process.memoryUsage()
    const socket = await raw(listener)
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
    await socketClosed(socket, 5_000)
    const line = await log.waitFor((l) => l.msg.startsWith('refused connection'), 'of the refusal')
    expect(line.msg).toContain('a frame of 4294967295 bytes exceeds the limit of 1024 bytes')
    expect(line.err?.stack).toContain('caused by: FrameTooLargeError')
    const after = process.memoryUsage()
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB)
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * MiB)
    await stillServes(listener, log)
  })

  it('a 2^32-1 length prefix after the handshake closes the connection with a FrameTooLargeError', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const socket = await raw(listener)
    await handshakeByHand(socket)
    const before = process.memoryUsage()
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
    await socketClosed(socket, 5_000)
    const line = await log.waitFor((l) => l.msg.startsWith('closing connection'), 'of the closing')
    expect(line.msg).toMatch(
      /^closing connection from 127\.0\.0\.1:\d+ \(node raw\): a frame of 4294967295 bytes exceeds the limit of 1048576 bytes \(maxFrameBytes\)$/,
    )
    expect(line.err?.type).toBe('FrameTooLargeError')
    const after = process.memoryUsage()
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB)
    await stillServes(listener, log)
  })

  it('a large claimed frame under a large limit holds only the bytes that came, and a cut frame is a ProtocolError', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log, { maxFrameBytes: 512 * MiB }))
    const socket = await raw(listener)
    await handshakeByHand(socket)
    const before = process.memoryUsage()
    const header = Buffer.alloc(4)
    header.writeUInt32BE(500 * MiB, 0)
    socket.end(Buffer.concat([header, Buffer.alloc(1000, 1)]))
    const line = await log.waitFor((l) => l.msg.startsWith('closing connection'), 'of the closing')
    expect(line.msg).toMatch(/the connection ended in the middle of a frame \(1000 bytes of it read\)$/)
    expect(line.err?.type).toBe('ProtocolError')
    const after = process.memoryUsage()
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB)
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 * MiB)
    await socketClosed(socket, 5_000)
    await stillServes(listener, log)
  })

  it('a truncated frame before the handshake ends is a closed handshake', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const socket = await raw(listener)
    socket.end(Buffer.from([0, 0, 0, 100, 1, 2, 3]))
    await socketClosed(socket, 5_000)
    const line = await log.waitFor((l) => l.msg.startsWith('refused connection'), 'of the refusal')
    expect(line.msg).toMatch(/connection closed during the handshake: the peer closed the connection$/)
    await stillServes(listener, log)
  })

  it('garbage after the handshake', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const accepted = new Promise<Connection>((resolve) => listener.onConnection(resolve))
    const socket = await raw(listener)
    await handshakeByHand(socket)
    const server = await accepted
    server.onFrame(() => {})
    socket.write('this is not a frame at all')
    const error = await server.closed()
    expect(error?.name).toBe('FrameTooLargeError')
    await socketClosed(socket, 5_000)
    await stillServes(listener, log)
  })

  it('100 raw connections that never handshake are all closed at the timeout, and memory comes back', async () => {
    // In its own process, with --expose-gc, so that memory can be measured after a collection.
    const run = await runTypeScript(['test/fixtures/transport-flood.ts'], {
      timeoutMs: 20_000,
      nodeFlags: ['--expose-gc'],
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout) as {
      closed: number
      firstCloseMs: number
      lastCloseMs: number
      refused: number
      heapGrowth: number
      arrayBuffersGrowth: number
      echo: string
    }
    expect(result.closed).toBe(100)
    // Logged, but rate-limited: one line per address and reason per interval, not one per connection.
    expect(result.refused).toBeGreaterThanOrEqual(1)
    // The handshake timeout is 300 ms: none closed before it, all soon after it.
    expect(result.firstCloseMs).toBeGreaterThanOrEqual(280)
    expect(result.lastCloseMs).toBeLessThan(2_000)
    expect(result.heapGrowth).toBeLessThan(4 * MiB)
    expect(result.arrayBuffersGrowth).toBeLessThan(2 * MiB)
    expect(result.echo).toBe('still serving')
  }, 30_000)
})
