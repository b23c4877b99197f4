import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ConnectError,
  type Connection,
  connectTcp,
  type Listener,
  listenTcp,
  openTcpTransport,
} from '../../../src/transport/index.ts'
import { ProtocolError } from '../../../src/wire/errors.ts'
import {
  CapturedLog,
  connect,
  connectedPair,
  listen,
  nextConnection,
  nodeOptions,
  portOf,
  within,
} from './support.ts'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
function closeAfter<T extends Listener | Connection>(thing: T): T {
  cleanups.push(() => thing[Symbol.asyncDispose]())
  return thing
}

/** Collects `count` incoming bodies, resolving with them; rejects at the deadline. */
function receive(connection: Connection, count: number, ms = 10_000): Promise<Buffer[]> {
  const bodies: Buffer[] = []
  return within(
    new Promise((resolve) => {
      connection.onFrame((body) => {
        bodies.push(Buffer.from(body))
        if (bodies.length === count) resolve(bodies)
      })
    }),
    ms,
    `${count} frames`,
  )
}

describe('tcp transport', () => {
  it('listens on 127.0.0.1 by default, on a port the system chose', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    expect(listener.address).toEqual({ host: '127.0.0.1', port: expect.any(Number) })
    expect(portOf(listener)).toBeGreaterThan(0)
  })

  it('carries frames both ways and tells each side who the peer is', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    closeAfter(client)
    expect(client.peer).toEqual({ node: 'server', incarnation: 'server-incarnation' })
    expect(server.peer).toEqual({ node: 'client', incarnation: 'client-incarnation' })
    expect(client.local).toEqual(server.peer)
    expect(server.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/)

    const atServer = receive(server, 3)
    const atClient = receive(client, 2)
    client.send(Buffer.from('one'))
    client.send(new Uint8Array(0))
    client.send(Buffer.from('three'))
    server.send(Buffer.from('four'))
    server.send(Buffer.alloc(100_000, 7))
    expect((await atServer).map((b) => b.toString())).toEqual(['one', '', 'three'])
    const [four, big] = await atClient
    expect(four!.toString()).toBe('four')
    expect(big!.equals(Buffer.alloc(100_000, 7))).toBe(true)
  })

  it('implements the transport interface', async () => {
    const log = new CapturedLog()
    const server = await openTcpTransport({
      ...nodeOptions('server', log),
      listen: { host: '127.0.0.1', port: 0 },
    })
    cleanups.push(() => server.close())
    const client = await openTcpTransport(nodeOptions('client', log))
    cleanups.push(() => client.close())
    expect(client.listening).toBeUndefined()
    const listening = server.listening!
    expect(listening.host).toBe('127.0.0.1')
    const accepted = within(
      new Promise<Connection>((resolve) => server.onConnection(resolve)),
      5_000,
      'an accepted connection',
    )
    const connection = await client.connect(listening, 'server')
    expect((await accepted).peer.node).toBe('client')
    expect(connection.peer.node).toBe('server')
    expect(server.name).toBe('tcp')
    await client.close()
    expect(await within(connection.closed(), 5_000, 'closed')).toBeUndefined()
  })

  it('keeps the order of 100k frames, both ways at once', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    closeAfter(client)
    const count = 100_000
    const check = (connection: Connection): Promise<number> =>
      within(
        new Promise<number>((resolve, reject) => {
          let next = 0
          connection.onFrame((body) => {
            const n = Buffer.from(body.buffer, body.byteOffset, body.length).readUInt32BE(0)
            if (n !== next) reject(new Error(`frame ${n} arrived where ${next} was expected`))
            next++
            if (next === count) resolve(next)
          })
        }),
        30_000,
        `${count} frames in order`,
      )
    const atServer = check(server)
    const atClient = check(client)
    const pump = async (connection: Connection): Promise<void> => {
      const body = Buffer.alloc(16)
      for (let n = 0; n < count; n++) {
        body.writeUInt32BE(n, 0) // the same buffer each time: send copies it
        connection.send(body)
        if (n % 1000 === 999) {
          if (connection.writableNeedDrain) await connection.drained()
          else await new Promise((resolve) => setImmediate(resolve))
        }
      }
    }
    await Promise.all([pump(client), pump(server)])
    expect(await atServer).toBe(count)
    expect(await atClient).toBe(count)
  })

  it('writes the first frame of a turn at once and coalesces the rest of the turn into one socket write', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    closeAfter(client)
    const port = portOf(listener)
    const writes: number[] = []
    const write = net.Socket.prototype.write
    vi.spyOn(net.Socket.prototype, 'write').mockImplementation(function (
      this: net.Socket,
      ...args: Parameters<net.Socket['write']>
    ) {
      if (this.remotePort === port) writes.push(Buffer.byteLength(args[0] as Buffer))
      return write.apply(this, args)
    })

    // 1000 frames sent in one synchronous loop: the first leaves at once, the rest together.
    let got = receive(server, 1000)
    for (let n = 0; n < 1000; n++) client.send(Buffer.alloc(16, n))
    expect(writes).toEqual([20])
    expect((await got).length).toBe(1000)
    expect(writes).toEqual([20, 999 * 20])

    // 200 frames, one per microtask, as actors sending one message per turn would.
    writes.length = 0
    got = receive(server, 200)
    for (let n = 0; n < 200; n++) {
      client.send(Buffer.alloc(16, n))
      await null
    }
    expect((await got).length).toBe(200)
    expect(writes).toEqual([20, 199 * 20])
  })

  it('counts frames per data event on the receiving side: many frames per read', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    closeAfter(client)
    let frames = 0
    const reads: number[] = []
    let lastRead = -1
    // Each 'data' event delivers its frames in one synchronous run; count the runs.
    let inRun = false
    const done = within(
      new Promise<void>((resolve) => {
        server.onFrame(() => {
          frames++
          if (!inRun) {
            inRun = true
            reads.push(0)
            queueMicrotask(() => {
              inRun = false
            })
          }
          lastRead = reads.length - 1
          reads[lastRead]!++
          if (frames === 5000) resolve()
        })
      }),
      10_000,
      '5000 frames',
    )
    for (let n = 0; n < 5000; n++) client.send(Buffer.alloc(8))
    await done
    expect(reads.reduce((a, b) => a + b, 0)).toBe(5000)
    // 5000 frames of 12 bytes are 60 kB: a handful of reads, not thousands.
    expect(reads.length).toBeLessThan(50)
  })

  it('reports backpressure and drains', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    // 16 MiB queued at once, which only a sender that ignores the backpressure would do: the bound is given, not the default.
    const { client, server } = await connectedPair(listener, log, { maxQueuedBytes: 32 * 1024 * 1024 })
    closeAfter(client)
    let received = 0
    const all = within(
      new Promise<void>((resolve) => {
        server.onFrame(() => {
          if (++received === 64) resolve()
        })
      }),
      10_000,
      'all frames',
    )
    expect(client.writableNeedDrain).toBe(false)
    await client.drained()
    const big = Buffer.alloc(256 * 1024)
    // More than the slab (64 KiB) per frame: each is written at once, and the socket's buffer fills.
    let sawPressure = false
    for (let n = 0; n < 64; n++) {
      client.send(big)
      if (client.writableNeedDrain) sawPressure = true
    }
    expect(sawPressure).toBe(true)
    await within(client.drained(), 10_000, 'drain')
    await all
    expect(received).toBe(64)
  })

  it('closes cleanly from either side: closed() resolves with undefined on both', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    const got = receive(server, 2)
    client.send(Buffer.from('last'))
    client.send(Buffer.from('words'))
    client.close() // flushes what was sent first
    expect((await got).map(String)).toEqual(['last', 'words'])
    expect(await within(client.closed(), 5_000, 'client closed')).toBeUndefined()
    expect(await within(server.closed(), 5_000, 'server closed')).toBeUndefined()
    client.send(Buffer.from('dropped')) // never throws once closed
    client.close()
  })

  it('close(error) cuts the connection and closed() resolves with that error; the peer sees the end', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    const reason = new Error('heartbeat missed')
    server.close(reason)
    expect(await within(server.closed(), 5_000, 'server closed')).toBe(reason)
    const atClient = await within(client.closed(), 5_000, 'client closed')
    expect(atClient === undefined || atClient.name === 'ConnectionLostError').toBe(true)
  })

  it('a frame handler that throws closes that connection with its error, and the listener serves on', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const { client, server } = await connectedPair(listener, log)
    closeAfter(client)
    const bad = new ProtocolError('not an envelope')
    server.onFrame(() => {
      throw bad
    })
    client.send(Buffer.from('x'))
    expect(await within(server.closed(), 5_000, 'server closed')).toBe(bad)
    await log.waitFor(
      (line) => line.msg.includes('the frame handler threw: not an envelope'),
      'about the handler',
    )
    await within(client.closed(), 5_000, 'client closed')
    const again = await connectedPair(listener, log)
    closeAfter(again.client)
    expect(again.server.peer.node).toBe('client')
  })

  it('holds frames that arrive before a handler is set', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const accepted = nextConnection(listener)
    const client = closeAfter(await connect(listener, 'client', log))
    // The client sends at once; the server sets its handler only later.
    for (let n = 0; n < 10; n++) client.send(Buffer.from([n]))
    const server = await accepted
    await new Promise((resolve) => setImmediate(resolve))
    const bodies = await receive(server, 10)
    expect(bodies.map((b) => b[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('rejects with a ConnectError when nothing listens', async () => {
    const log = new CapturedLog()
    const free = net.createServer()
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
    const port = (free.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => free.close(() => resolve()))
    const attempt = connectTcp({ ...nodeOptions('client', log), port })
    await expect(attempt).rejects.toBeInstanceOf(ConnectError)
    await expect(attempt).rejects.toThrow(
      `cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    )
    expect(log.warnings()).toContain(`cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`)
  })

  it('connect can be aborted', async () => {
    const log = new CapturedLog()
    // A server that accepts and never answers the handshake.
    const sockets: net.Socket[] = []
    const silent = net.createServer((socket) => {
      socket.on('error', () => {})
      sockets.push(socket)
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => silent.close(() => resolve()))
    })
    const controller = new AbortController()
    const attempt = connectTcp({
      ...nodeOptions('client', log),
      port: (silent.address() as net.AddressInfo).port,
      signal: controller.signal,
    })
    setImmediate(() => controller.abort(new Error('gave up')))
    await expect(within(attempt, 5_000, 'the abort')).rejects.toThrow('gave up')
  })

  it('checks its options', async () => {
    const log = new CapturedLog()
    await expect(listenTcp({ ...nodeOptions('server', log), cookie: '' })).rejects.toThrow(
      /invalid option 'cookie'/,
    )
    await expect(listenTcp({ ...nodeOptions('n\u0000', log) })).rejects.toThrow(/invalid option 'node'/)
    await expect(listenTcp({ ...nodeOptions('x'.repeat(256), log) })).rejects.toThrow(/invalid option 'node'/)
    await expect(listenTcp({ ...nodeOptions('server', log), maxFrameBytes: 0 })).rejects.toThrow(
      /invalid option 'maxFrameBytes'/,
    )
    await expect(connectTcp({ ...nodeOptions('client', log) })).rejects.toThrow(/invalid option 'port'/)
  })

  it('round-trips over a Unix domain socket', async () => {
    const log = new CapturedLog()
    const dir = mkdtempSync(join(tmpdir(), 'troupe-transport-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'node.sock')
    const listener = closeAfter(await listen('server', log, { path }))
    expect(listener.address).toEqual({ path })
    const accepted = nextConnection(listener)
    const client = closeAfter(await connectTcp({ ...nodeOptions('client', log), path }))
    const server = await accepted
    expect(client.peer.node).toBe('server')
    expect(server.peer.node).toBe('client')
    server.onFrame((body) => server.send(body))
    const echoed = receive(client, 1)
    client.send(Buffer.from('over a unix socket'))
    expect((await echoed)[0]!.toString()).toBe('over a unix socket')
  })

  it('closing the listener closes the connections it accepted', async () => {
    const log = new CapturedLog()
    const listener = await listen('server', log)
    const { client, server } = await connectedPair(listener, log)
    await within(listener.close(), 5_000, 'listener closed')
    expect(await within(server.closed(), 5_000, 'server side closed')).toBeUndefined()
    expect(await within(client.closed(), 5_000, 'client side closed')).toBeUndefined()
  })
})
