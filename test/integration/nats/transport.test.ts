import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as connectRaw } from '@nats-io/transport-node'
import { failAfter } from 'troupe'
import { describe, expect, it } from 'vitest'
import {
  ConnectError,
  type Connection,
  HandshakeError,
  type Transport,
} from '../../../src/transport/index.ts'
import {
  FramesLostError,
  NatsConnectError,
  type NatsOptions,
  openNatsTransport,
  SlowConsumerError,
} from '../../../src/transport/nats/index.ts'
import { FRAME_HEADER_BYTES } from '../../../src/transport/nats/nats-messages.ts'
import { FrameTooLargeError } from '../../../src/wire/errors.ts'
import { type NatsServer, natsServerVersion, startNatsServer } from '../../support/nats-server.ts'
import { CapturedLog, COOKIE, cleanupsAfterEach } from '../transport/support.ts'

const cleanups = cleanupsAfterEach()
const skip = natsServerVersion() === undefined

async function server(args: readonly string[] = []): Promise<NatsServer> {
  const started = await startNatsServer({ jetstream: false, args })
  cleanups.push(() => started.stop())
  return started
}

/** A node's NATS transport; closed in cleanup. */
async function transport(
  node: string,
  nats: NatsOptions | string,
  options: { cookie?: string; log?: CapturedLog; frameAuth?: boolean } = {},
): Promise<Transport> {
  const opened = await openNatsTransport({
    node,
    incarnation: `${node}-1`,
    cookie: options.cookie ?? COOKIE,
    nats,
    logger: (options.log ?? new CapturedLog()).logger,
    ...(options.frameAuth === undefined ? {} : { frameAuth: options.frameAuth }),
  })
  cleanups.push(() => opened.close())
  return opened
}

/** The next connection `transport` accepts. */
function accepted(listener: Transport): Promise<Connection> {
  return failAfter(5_000, () => new Promise<Connection>((resolve) => listener.onConnection(resolve)))
}

/** Resolves with the first `count` bodies `connection` receives. */
function receive(connection: Connection, count: number): Promise<Buffer[]> {
  const bodies: Buffer[] = []
  return failAfter(
    5_000,
    () =>
      new Promise<Buffer[]>((resolve) =>
        connection.onFrame((body) => {
          bodies.push(Buffer.from(body))
          if (bodies.length === count) resolve(bodies)
        }),
      ),
  )
}

describe.skipIf(skip)('the NATS transport', () => {
  it('connects two nodes by name (names with dots, wildcards and spaces) and carries frames both ways, in order', async () => {
    const nats = await server()
    const b = await transport('b.1 *>@x:2', nats.url)
    const a = await transport('a.1@x:1', nats.url)
    const incoming = accepted(b)
    const toB = await a.connect(undefined, 'b.1 *>@x:2')
    const fromA = await incoming
    expect(toB.peer).toEqual({ node: 'b.1 *>@x:2', incarnation: 'b.1 *>@x:2-1' })
    expect(fromA.peer).toEqual({ node: 'a.1@x:1', incarnation: 'a.1@x:1-1' })
    expect(a.listening).toBeUndefined()
    const atB = receive(fromA, 1000)
    for (let i = 0; i < 1000; i++) toB.send(Buffer.from(String(i)))
    expect((await atB).map(String)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)))
    const atA = receive(toB, 1)
    fromA.send(Buffer.from('back'))
    expect(String((await atA)[0])).toBe('back')
    // A clean close tells the peer at once: no heartbeat needed.
    toB.close()
    expect(await failAfter(2_000, () => fromA.closed())).toBeUndefined()
  })

  it('seals frames when asked, and both sides must agree', async () => {
    const nats = await server()
    const b = await transport('b', nats.url, { frameAuth: true })
    const a = await transport('a', nats.url, { frameAuth: true })
    const incoming = accepted(b)
    const toB = await a.connect(undefined, 'b')
    const atB = receive(await incoming, 2)
    toB.send(Buffer.from('one'))
    toB.send(Buffer.from('two'))
    expect((await atB).map(String)).toEqual(['one', 'two'])
    const plain = await transport('c', nats.url, { frameAuth: false })
    const refused = await plain.connect(undefined, 'b').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(HandshakeError)
    expect((refused as HandshakeError).reason).toBe('frame-auth-mismatch')
  })

  it('refuses a node with the wrong cookie, with an error that says so on both sides', async () => {
    const nats = await server()
    const log = new CapturedLog()
    await transport('b', nats.url, { log })
    const stranger = await transport('mallory', nats.url, { cookie: 'another-cookie-of-16' })
    const error = await stranger.connect(undefined, 'b').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HandshakeError)
    expect((error as HandshakeError).reason).toBe('cookie-mismatch')
    expect((error as Error).message).toMatch(/cookie mismatch \(refused by the peer\)/)
    const line = await log.waitFor(
      (l) => /refused a NATS connection from node mallory/.test(l.msg),
      'refusal',
    )
    expect(line.msg).toMatch(/cookie mismatch/)
  })

  it('fails at once with a ConnectError for a node nobody subscribes for', async () => {
    const nats = await server()
    const a = await transport('a', nats.url)
    const began = performance.now()
    const error = await a.connect(undefined, 'nobody').catch((e: unknown) => e)
    expect(performance.now() - began).toBeLessThan(1_000)
    expect(error).toBeInstanceOf(ConnectError)
    expect((error as Error).message).toMatch(/no node nobody is on NATS \(no responders/)
  })

  it('keeps clusters with different prefixes apart on one server', async () => {
    const nats = await server()
    await transport('b', { servers: nats.url, prefix: 'red' })
    const blue = await transport('a', { servers: nats.url, prefix: 'blue' })
    const red = await transport('c', { servers: nats.url, prefix: 'red' })
    await expect(blue.connect(undefined, 'b')).rejects.toBeInstanceOf(ConnectError)
    const connection = await red.connect(undefined, 'b')
    expect(connection.peer.node).toBe('b')
  })

  it('closes a connection whose frame numbers skip, saying how many frames were lost', async () => {
    const nats = await server()
    const log = new CapturedLog()
    const b = await transport('b', nats.url, { log })
    const a = await transport('a', nats.url)
    const incoming = accepted(b)
    const toB = await a.connect(undefined, 'b')
    const fromA = await incoming
    // A raw client on the same server forges the next frame of the connection as frame 6: frames 2
    // to 5 never came.
    const raw = await connectRaw({ servers: nats.url })
    cleanups.push(() => raw.close())
    const seen = new Promise<Uint8Array>((resolve) =>
      raw.subscribe('troupe.node.b', { max: 1, callback: (_e, msg) => resolve(msg.data) }),
    )
    await raw.flush()
    const got = receive(fromA, 1)
    toB.send(Buffer.from('first'))
    const first = Buffer.from(await failAfter(5_000, () => seen))
    await got
    const forged = Buffer.from(first)
    forged.writeUInt32BE(first.readUInt32BE(9) + 5, 9)
    raw.publish('troupe.node.b', forged)
    const error = await failAfter(5_000, () => fromA.closed())
    expect(error).toBeInstanceOf(FramesLostError)
    expect((error as FramesLostError).lost).toBe(4)
    expect((error as Error).message).toMatch(
      /4 frames from the peer were lost \(frame 6 arrived where 2 was due\)/,
    )
    await log.waitFor((l) => l.level === 40 && /4 frames .* were lost/.test(l.msg), 'the warning')
  })

  it('closes a connection whose frames pile up unhandled past maxPendingMessages', async () => {
    const nats = await server()
    const log = new CapturedLog()
    const b = await openNatsTransport({
      node: 'b',
      incarnation: 'b-1',
      cookie: COOKIE,
      nats: { servers: nats.url, maxPendingMessages: 10 },
      logger: log.logger,
    })
    cleanups.push(() => b.close())
    const a = await transport('a', nats.url)
    const incoming = accepted(b)
    const toB = await a.connect(undefined, 'b')
    // No frame handler: every frame is held, as for a node that does not keep up.
    const fromA = await incoming
    for (let i = 0; i < 50; i++) toB.send(Buffer.from('x'))
    const error = await failAfter(5_000, () => fromA.closed())
    expect(error).toBeInstanceOf(SlowConsumerError)
    expect((error as Error).message).toMatch(/more than 10 frames from troupe\.node\.a \(node a\)/)
    await log.waitFor((l) => l.level === 40 && /maxPendingMessages/.test(l.msg), 'the warning')
  })

  it('bounds what it queues while disconnected by maxQueuedBytes: past it the connections close, with the reason', async () => {
    const nats = await server()
    const log = new CapturedLog()
    const a = await openNatsTransport({
      node: 'a',
      incarnation: 'a-1',
      cookie: COOKIE,
      nats: { servers: nats.url, reconnectTimeWaitMs: 60_000 },
      logger: log.logger,
      maxQueuedBytes: 100_000,
    })
    cleanups.push(() => a.close())
    const b = await transport('b', nats.url)
    const incoming = accepted(b)
    const toB = await a.connect(undefined, 'b')
    await incoming
    await nats.kill()
    await log.waitFor((l) => /disconnected from NATS server/.test(l.msg), 'the disconnection')
    // What is sent now stays in the client's memory until it reconnects: the bound stops it growing.
    for (let i = 0; i < 20; i++) toB.send(Buffer.alloc(10_000))
    const error = await failAfter(5_000, () => toB.closed())
    expect(error?.message).toMatch(
      /bytes were sent while disconnected from NATS, over maxQueuedBytes \(100000\)/,
    )
    await log.waitFor((l) => l.level === 40 && /maxQueuedBytes/.test(l.msg), 'the warning')
  })

  it('bounds frames by the server max_payload as well as maxFrameBytes, and refuses to send more', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'troupe-nats-conf-'))
    cleanups.push(() => rmSync(folder, { recursive: true, force: true }))
    const config = join(folder, 'small.conf')
    writeFileSync(config, 'max_payload: 4096\n')
    const nats = await server(['-c', config])
    const b = await transport('b', nats.url)
    const a = await transport('a', nats.url)
    const incoming = accepted(b)
    const toB = await a.connect(undefined, 'b')
    expect(toB.maxFrameBytes).toBe(4096 - FRAME_HEADER_BYTES)
    const fromA = await incoming
    toB.send(Buffer.alloc(5000))
    expect(await failAfter(2_000, () => toB.closed())).toBeInstanceOf(FrameTooLargeError)
    // The peer is told the connection was cut.
    expect(await failAfter(2_000, () => fromA.closed())).toBeDefined()
  })

  describe('passes credentials to the server', () => {
    it('user and password: the right ones connect, none is refused with a clear error', async () => {
      const nats = await server(['--user', 'u', '--pass', 'p'])
      const good = await transport('a', { servers: nats.url, user: 'u', pass: 'p' })
      expect(good.name).toBe('nats')
      const error = await transport('b', nats.url).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NatsConnectError)
      expect((error as Error).message).toMatch(
        new RegExp(`cannot connect to NATS at ${nats.url}: .*[Aa]uthorization`),
      )
      const wrong = await transport('c', { servers: nats.url, user: 'u', pass: 'q' }).catch((e: unknown) => e)
      expect(wrong).toBeInstanceOf(NatsConnectError)
    })

    it('a token: the right one connects, none is refused with a clear error', async () => {
      const nats = await server(['--auth', 'the-token'])
      const good = await transport('a', { servers: nats.url, token: 'the-token' })
      expect(good.name).toBe('nats')
      const error = await transport('b', nats.url).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(NatsConnectError)
      expect((error as Error).message).toMatch(/[Aa]uthorization/)
    })

    it('an unreachable server: the error names the URL', async () => {
      const nats = await server()
      await nats.kill()
      const error = await transport('a', { servers: nats.url, connectTimeoutMs: 2_000 }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(NatsConnectError)
      expect((error as Error).message).toContain(`cannot connect to NATS at ${nats.url}`)
    })
  })
})
