// Authenticated frames against an on-path relay: a TCP proxy between a node (start()) and an
// honest peer that knows the cookie, which passes the handshake through untouched and then
// tampers with the frames that follow, as a relay that does not know the cookie can.
import net from 'node:net'
import { networkInterfaces } from 'node:os'
import { type ActorSystem, defineActor, type Ref, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { type Connection, connectTcp, listenTcp } from '../../../src/transport/index.ts'
import { createCodec, createConnectionCodec, type Envelope } from '../../../src/wire/index.ts'
import {
  CapturedLog,
  COOKIE,
  cleanupsAfterEach,
  handshakeByHand,
  rawSocket,
  socketClosed,
  within,
} from './support.ts'

const cleanups = cleanupsAfterEach()

type PongMsg = { type: 'ping'; text: string }
const Pong = defineActor<PongMsg, null>({
  init: () => null,
  receive(state, message, ctx) {
    ctx.reply(message.text)
    return state
  },
})

const noRefs = (address: string): never => {
  throw new Error(`no ref expected, got ${address}`)
}

/** The victim: a node with a live actor `/user/pong`, its log captured. */
async function victim(options: { frameAuth: boolean; maxQueuedBytes?: number }) {
  const log = new CapturedLog()
  const port = await freePort()
  const system: ActorSystem = await start({
    node: `b@127.0.0.1:${port}`,
    cookie: COOKIE,
    logger: log.logger,
    heartbeatIntervalMs: 1_000,
    heartbeatTimeoutMs: 10_000,
    ...options,
  })
  cleanups.push(() => system.shutdown())
  const pong = system.spawn(Pong, { name: 'pong' })
  return { system, log, port, pong }
}

/** What the relay does with each frame the peer sends after the handshake, by its index. */
type Tamper = (frame: Buffer, index: number, forward: (frame: Buffer) => void) => void

/**
 * A relay on 127.0.0.1 that forwards bytes both ways, reading the peer's side as frames: the
 * three handshake frames (hello, proof, ready) pass as they are, every later one goes to `tamper`.
 */
async function relay(
  target: number,
  tamper: Tamper,
): Promise<{ port: number; inject: (frame: Buffer) => void }> {
  let toServer: net.Socket | undefined
  const server = net.createServer((client) => {
    client.on('error', () => {})
    const upstream = net.connect(target, '127.0.0.1')
    toServer = upstream
    upstream.on('error', () => {})
    upstream.on('data', (chunk) => client.write(chunk))
    upstream.on('close', () => client.destroy())
    client.on('close', () => upstream.destroy())
    let pending = Buffer.alloc(0)
    let seen = 0
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
        const frame = Buffer.from(pending.subarray(0, 4 + pending.readUInt32BE(0)))
        pending = pending.subarray(frame.length)
        const index = seen++ - 3
        if (index < 0) upstream.write(frame)
        else tamper(frame, index, (out) => upstream.write(out))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  cleanups.push(() => toServer?.destroy())
  return {
    port: (server.address() as net.AddressInfo).port,
    inject: (frame) => toServer!.write(frame),
  }
}

/** The honest peer, a node that knows the cookie, connected through `port`; it asks with the wire codec. */
async function honestPeer(port: number, node: string, frameAuth: boolean) {
  const connection: Connection = await connectTcp({
    port,
    node: `${node}@127.0.0.1:1`,
    incarnation: `${node}-1`,
    cookie: COOKIE,
    frameAuth,
  })
  cleanups.push(() => connection[Symbol.asyncDispose]())
  const { encoder, decoder } = createConnectionCodec({ resolveRef: noRefs })
  const replies = new Map<number, (value: unknown) => void>()
  connection.onFrame((body) => {
    for (const envelope of decoder.decodeEnvelopes(body))
      if (envelope.kind === 'reply') replies.get(envelope.id)?.(envelope.message)
  })
  let nextId = 1
  return {
    connection,
    /** Sends an ask to `/user/pong`; the promise settles with the reply. */
    ask(text: string): Promise<unknown> {
      const id = nextId++
      const reply = new Promise<unknown>((resolve) => replies.set(id, resolve))
      const ask: Envelope = { kind: 'ask', to: '/user/pong', id, message: { type: 'ping', text } }
      connection.send(encoder.encodeEnvelope(ask))
      return within(reply, 5_000, `the reply to ${text}`)
    },
  }
}

/** A frame that carries a `stop` of `/user/pong`, built with the wire codec, as a relay would forge it. */
function stopFrame(): Buffer {
  const body = createCodec({ resolveRef: noRefs }).encodeEnvelope({ kind: 'stop', target: '/user/pong' })
  const frame = Buffer.alloc(4 + body.length)
  frame.writeUInt32BE(body.length, 0)
  body.copy(frame, 4)
  return frame
}

async function expectAuthFailure(
  log: CapturedLog,
  connection: Connection,
  frameIndex: number,
): Promise<void> {
  const line = await log.waitFor((l) => l.msg.includes('failed authentication'), 'of the failed frame')
  expect(line.msg).toMatch(
    new RegExp(
      `^closing connection from 127\\.0\\.0\\.1:\\d+ \\(node \\w+@127\\.0\\.0\\.1:1\\): frame ${frameIndex} from 127\\.0\\.0\\.1:\\d+ \\(node \\w+@127\\.0\\.0\\.1:1\\) failed authentication`,
    ),
  )
  expect(line.err?.type).toBe('ProtocolError')
  await within(connection.closed(), 5_000, 'the tampered connection to close')
}

async function stillServes(port: number, pong: Ref, system: ActorSystem, frameAuth = true): Promise<void> {
  expect(system.isAlive(pong)).toBe(true)
  const fresh = await honestPeer(port, 'fresh', frameAuth)
  expect(await fresh.ask('still here')).toBe('still here')
}

describe('frames after the handshake, against an on-path relay', () => {
  it('an injected stop closes the connection with the authentication error; the actor lives, the node serves', async () => {
    const { system, log, port, pong } = await victim({ frameAuth: true })
    const path = await relay(port, (frame, _index, forward) => forward(frame))
    const peer = await honestPeer(path.port, 'a', true)
    expect(await peer.ask('before')).toBe('before')
    path.inject(stopFrame())
    await expectAuthFailure(log, peer.connection, 1)
    await stillServes(port, pong, system)
  })

  it('without frameAuth the same injection stops the actor: the relay works, the seal is what stops it', async () => {
    const { system, port, pong } = await victim({ frameAuth: false })
    const path = await relay(port, (frame, _index, forward) => forward(frame))
    const peer = await honestPeer(path.port, 'a', false)
    expect(await peer.ask('before')).toBe('before')
    const stopped = system.watch(pong)
    path.inject(stopFrame())
    await within(stopped, 5_000, 'the injected stop')
    expect(system.isAlive(pong)).toBe(false)
  })

  const attacks: Array<[string, Tamper, number]> = [
    [
      'a replayed frame',
      (frame, index, forward) => {
        forward(frame)
        if (index === 0) forward(frame)
      },
      1,
    ],
    [
      'two frames swapped',
      (() => {
        let held: Buffer | undefined
        return (frame: Buffer, index: number, forward: (frame: Buffer) => void) => {
          if (index === 0) held = frame
          else if (index === 1) {
            forward(frame)
            forward(held!)
          } else forward(frame)
        }
      })(),
      0,
    ],
    ['a dropped frame', (frame, index, forward) => (index === 0 ? undefined : forward(frame)), 0],
    [
      'a flipped bit',
      (frame, index, forward) => {
        if (index === 0) frame[frame.length - 20] = frame[frame.length - 20]! ^ 0x04
        forward(frame)
      },
      0,
    ],
  ]
  for (const [what, tamper, failing] of attacks) {
    it(`${what} closes the connection with the authentication error`, async () => {
      const { system, log, port, pong } = await victim({ frameAuth: true })
      const path = await relay(port, tamper)
      const peer = await honestPeer(path.port, 'a', true)
      void peer.ask('one').catch(() => {})
      void peer.ask('two').catch(() => {})
      await expectAuthFailure(log, peer.connection, failing)
      await stillServes(port, pong, system)
    })
  }
})

describe('a peer that never reads', () => {
  it('is cut off once maxQueuedBytes are queued for it, with a warning that names it', async () => {
    const { system, log, port, pong } = await victim({ frameAuth: false, maxQueuedBytes: 256 * 1024 })
    const socket = await rawSocket(port)
    cleanups.push(() => socket.destroy())
    await handshakeByHand(socket, { node: 'reader@127.0.0.1:1' })
    socket.pause() // and never reads again
    const codec = createCodec({ resolveRef: noRefs })
    const text = 'x'.repeat(1024)
    // 16 MiB of replies asked for: far more than the socket buffers of loopback hold.
    for (let id = 1; id <= 16 * 1024; id++) {
      const body = codec.encodeEnvelope({
        kind: 'ask',
        to: '/user/pong',
        id,
        message: { type: 'ping', text },
      })
      const frame = Buffer.alloc(4 + body.length)
      frame.writeUInt32BE(body.length, 0)
      body.copy(frame, 4)
      if (socket.destroyed) break
      if (!socket.write(frame))
        await new Promise((resolve) => {
          socket.once('drain', resolve)
          socket.once('close', resolve)
        })
    }
    const line = await log.waitFor((l) => l.msg.includes('over maxQueuedBytes'), 'of the cut', 10_000)
    expect(line.msg).toMatch(
      /^closing connection from 127\.0\.0\.1:\d+ \(node reader@127\.0\.0\.1:1\): \d+ bytes are queued to send, over maxQueuedBytes \(262144\): the peer does not read what it is sent$/,
    )
    socket.resume() // to read up to the end the node sent when it cut the connection
    await socketClosed(socket, 5_000)
    await stillServes(port, pong, system, false)
  })
})

describe('start() beyond loopback', () => {
  const startOn = async (host: string, frameAuth?: boolean) => {
    const log = new CapturedLog()
    const system = await start({
      node: `w@${host}:${await freePort()}`,
      cookie: COOKIE,
      logger: log.logger,
      ...(frameAuth === undefined ? {} : { frameAuth }),
    })
    cleanups.push(() => system.shutdown())
    return log.warnings().filter((line) => line.includes('neither frame authentication nor TLS'))
  }

  it('warns once when a node listens beyond loopback with frameAuth off and no TLS', async () => {
    const warnings = await startOn('0.0.0.0', false)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^node w@0\.0\.0\.0:\d+ listens beyond loopback \(0\.0\.0\.0\) with neither frame authentication nor TLS: a relay on the path could inject, replay or drop frames after the handshake; leave frameAuth on or give tls$/,
    )
  })

  it('says nothing with frameAuth left to its default, or on loopback', async () => {
    expect(await startOn('0.0.0.0')).toEqual([])
    expect(await startOn('127.0.0.1', false)).toEqual([])
  })
})

/** An IPv4 address of this machine beyond loopback, if it has one. */
const networkAddress = Object.values(networkInterfaces())
  .flat()
  .find((info) => info !== undefined && info.family === 'IPv4' && !info.internal)?.address

describe('frameAuth by default', () => {
  it.skipIf(networkAddress === undefined)(
    'is on for a connection over a network address and off over loopback',
    async () => {
      const log = new CapturedLog()
      const listener = await listenTcp({
        host: '0.0.0.0',
        node: 'b',
        incarnation: 'b-1',
        cookie: COOKIE,
        logger: log.logger,
      })
      cleanups.push(() => listener.close())
      const port = (listener.address as { port: number }).port
      const over = async (host: string, frameAuth: boolean): Promise<void> => {
        const socket = net.connect(port, host)
        socket.on('error', () => {})
        cleanups.push(() => socket.destroy())
        await within(new Promise((resolve) => socket.once('connect', resolve)), 5_000, 'a connection')
        await handshakeByHand(socket, { frameAuth })
      }
      await over('127.0.0.1', false)
      await expect(over(networkAddress!, false)).rejects.toThrow(
        /frame authentication mismatch \(refused by the peer\): the client does not seal its frames \(frameAuth false\), the server seals its frames \(frameAuth true\)/,
      )
      await over(networkAddress!, true)
    },
  )
})

describe('sealed frames over a connection', () => {
  it('carry no plaintext, and keep the frame limit for what they carry (the tag is extra)', async () => {
    const log = new CapturedLog()
    const common = { cookie: COOKIE, logger: log.logger, frameAuth: true, maxFrameBytes: 1024 }
    const listener = await listenTcp({ ...common, node: 'b', incarnation: 'b-1' })
    cleanups.push(() => listener.close())
    const accepted = new Promise<Connection>((resolve) => listener.onConnection(resolve))
    const seen: Buffer[] = []
    const path = await relay((listener.address as { port: number }).port, (frame, _index, forward) => {
      seen.push(frame)
      forward(frame)
    })
    const client = await connectTcp({ ...common, port: path.port, node: 'a', incarnation: 'a-1' })
    cleanups.push(() => client[Symbol.asyncDispose]())
    const server = await within(accepted, 5_000, 'the accepted connection')
    const got: string[] = []
    const two = new Promise<void>((resolve) =>
      server.onFrame((body) => {
        got.push(Buffer.from(body).toString())
        if (got.length === 2) resolve()
      }),
    )
    client.send(Buffer.from('secret-text'))
    client.send(Buffer.alloc(1024, 'y'))
    await within(two, 5_000, 'both frames')
    expect(got[0]).toBe('secret-text')
    expect(got[1]).toHaveLength(1024)
    expect(Buffer.concat(seen).includes(Buffer.from('secret-text'))).toBe(false)
    expect(seen.map((frame) => frame.length)).toEqual([4 + 11 + 16, 4 + 1024 + 16])

    client.send(Buffer.alloc(1025, 'z'))
    const error = await within(server.closed(), 5_000, 'the refusal of a frame over the limit')
    expect(error?.name).toBe('FrameTooLargeError')
  })
})
