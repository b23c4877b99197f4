import { createHmac } from 'node:crypto'
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { cookieKey } from '../../../src/transport/cookie-key.ts'
import {
  type Connection,
  connectTcp,
  decodeReject,
  encodeHello,
  Handshake,
  HandshakeError,
  type Listener,
  NONCE_BYTES,
} from '../../../src/transport/index.ts'
import { PROTOCOL_VERSION } from '../../../src/wire/envelope.ts'
import { ProtocolError } from '../../../src/wire/errors.ts'
import { encodeFrame } from '../../../src/wire/frames.ts'
import {
  CapturedLog,
  COOKIE,
  cleanupsAfterEach,
  connect,
  connectedPair,
  handshakeByHand,
  listen,
  nodeOptions,
  portOf,
  rawSocket,
  socketClosed,
  within,
} from './support.ts'

const cleanups = cleanupsAfterEach()
function closeAfter<T extends Listener | Connection | net.Socket | net.Server>(thing: T): T {
  cleanups.push(() => {
    if (thing instanceof net.Socket) thing.destroy()
    else if (thing instanceof net.Server) return new Promise<void>((resolve) => thing.close(() => resolve()))
    else return thing[Symbol.asyncDispose]()
  })
  return thing
}

/** Runs two state machines against each other; returns every message that crossed. */
function runHandshake(client: Handshake, server: Handshake): Buffer[] {
  const crossed: Buffer[] = []
  let toServer = client.start()
  let toClient = server.start()
  while (toServer.length > 0 || toClient.length > 0) {
    const next: Buffer[] = []
    for (const body of toServer) {
      crossed.push(body)
      next.push(...server.receive(body).replies)
    }
    toServer = []
    for (const body of toClient) {
      crossed.push(body)
      toServer.push(...client.receive(body).replies)
    }
    toClient = next
  }
  return crossed
}

const machine = (
  role: 'client' | 'server',
  cookie = COOKIE,
  extra: Partial<ConstructorParameters<typeof Handshake>[0]> = {},
) => new Handshake({ role, node: role === 'client' ? 'a' : 'b', incarnation: `${role}-1`, cookie, ...extra })

describe('handshake, on bytes alone', () => {
  it('proves an HMAC under the scrypt-stretched cookie, which a guess must pay a scrypt to test', () => {
    const crossed = runHandshake(machine('client'), machine('server'))
    const [clientHello, serverHello, clientProof] = crossed as [Buffer, Buffer, Buffer]
    const proof = clientProof.subarray(1, 33)
    const hmacUnder = (key: Buffer | string): Buffer =>
      createHmac('sha256', key).update('troupe client proof').update(clientHello).update(serverHello).digest()
    // What a rogue listener records: testing a guess against it takes the stretch, not one HMAC.
    expect(proof.equals(hmacUnder(cookieKey(COOKIE)))).toBe(true)
    expect(proof.equals(hmacUnder(COOKIE))).toBe(false)
    expect(cookieKey(COOKIE)).toHaveLength(32)
    expect(cookieKey(COOKIE).equals(cookieKey(`${COOKIE}!`))).toBe(false)
  })

  it('completes both ways and names each peer; the cookie never crosses', () => {
    const client = machine('client')
    const server = machine('server')
    const crossed = runHandshake(client, server)
    expect(client.done && server.done).toBe(true)
    expect(client.peer).toEqual({ node: 'b', incarnation: 'server-1' })
    expect(server.peer).toEqual({ node: 'a', incarnation: 'client-1' })
    expect(crossed.map((body) => body[0])).toEqual([1, 1, 2, 2, 3]) // hello, hello, proof, proof, ready
    for (const body of crossed) expect(body.includes(Buffer.from(COOKIE))).toBe(false)
  })

  it('refuses a wrong cookie on the server, which sends its own proof to no one who failed', () => {
    const client = machine('client', 'other cookie')
    const server = machine('server')
    server.start()
    const toServer = client.start()
    const [serverHello] = server.receive(toServer[0]!).replies
    const [proof] = client.receive(serverHello!).replies
    expect(() => server.receive(proof!)).toThrow(HandshakeError)
    const reject = decodeReject(server.rejection!)
    expect(reject.reason).toBe('cookie-mismatch')
    try {
      client.receive(server.rejection!)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(HandshakeError)
      expect((error as HandshakeError).reason).toBe('cookie-mismatch')
      expect((error as HandshakeError).refusedBy).toBe('peer')
    }
  })

  it('a reflected proof fails: a server without the cookie cannot pass off the client its own proof', () => {
    const client = machine('client')
    const [clientHello] = client.start()
    // The impostor answers with a hello of its own, then echoes the client's proof back.
    const impostorHello = encodeHello({
      version: PROTOCOL_VERSION,
      role: 'server',
      frameAuth: false,
      nonce: Buffer.alloc(NONCE_BYTES, 1),
      node: 'b',
    })
    expect(clientHello).toBeDefined()
    const [proof] = client.receive(impostorHello).replies
    const reflected = Buffer.concat([proof!, Buffer.from([1]), Buffer.from('x')])
    expect(() => client.receive(reflected)).toThrow(/cookie mismatch/)
  })

  it('tells each incarnation only after the peer has proved the cookie, under a MAC', () => {
    const client = machine('client')
    const server = machine('server')
    const crossed = runHandshake(client, server)
    const [clientHello, serverHello, clientProof, serverProof, ready] = crossed
    for (const body of [clientHello!, serverHello!, clientProof!])
      expect(body.includes(Buffer.from('-1'))).toBe(false)
    expect(serverProof!.includes(Buffer.from('server-1'))).toBe(true)
    expect(ready!.includes(Buffer.from('client-1'))).toBe(true)

    // A client without the cookie never sees the server's incarnation: the server refuses its proof.
    const stranger = machine('client', 'other cookie')
    const guarded = machine('server')
    guarded.start()
    const [hello] = guarded.receive(stranger.start()[0]!).replies
    const [strangerProof] = stranger.receive(hello!).replies
    expect(() => guarded.receive(strangerProof!)).toThrow(/cookie mismatch/)
    expect(guarded.rejection!.includes(Buffer.from('server-1'))).toBe(false)

    // An incarnation altered on the way fails the MAC that covers it.
    const again = machine('server')
    const honest = machine('client')
    again.start()
    const [secondHello] = again.receive(honest.start()[0]!).replies
    const [proof] = honest.receive(secondHello!).replies
    const [genuine] = again.receive(proof!).replies
    const altered = Buffer.from(genuine!)
    altered[altered.length - 1] = altered[altered.length - 1]! ^ 1
    expect(() => honest.receive(altered)).toThrow(/cookie mismatch/)
  })

  it('refuses a peer whose frameAuth differs, on the hello, and says why', () => {
    const client = machine('client', COOKIE, { frameAuth: true })
    const server = machine('server')
    server.start()
    expect(() => server.receive(client.start()[0]!)).toThrow(
      'handshake failed: frame authentication mismatch: the client seals its frames (frameAuth true), the server does not seal its frames (frameAuth false): give both nodes the same frameAuth',
    )
    expect(decodeReject(server.rejection!).reason).toBe('frame-auth-mismatch')
  })

  it('with frameAuth on both sides, derives matching keys, one per direction', () => {
    const client = machine('client', COOKIE, { frameAuth: true })
    const server = machine('server', COOKIE, { frameAuth: true })
    runHandshake(client, server)
    const clientKeys = client.frameKeys!
    const serverKeys = server.frameKeys!
    expect(clientKeys.send.equals(serverKeys.receive)).toBe(true)
    expect(clientKeys.receive.equals(serverKeys.send)).toBe(true)
    expect(clientKeys.send.equals(clientKeys.receive)).toBe(false)
    expect(machine('client').frameKeys).toBeUndefined()
  })

  it('refuses another protocol version, and says so to the peer', () => {
    const client = machine('client', COOKIE, { version: PROTOCOL_VERSION + 1 })
    const server = machine('server')
    server.start()
    expect(() => server.receive(client.start()[0]!)).toThrow(
      `handshake failed: protocol version mismatch: the client speaks protocol version ${PROTOCOL_VERSION + 1}, the server ${PROTOCOL_VERSION}`,
    )
    expect(decodeReject(server.rejection!).reason).toBe('version-mismatch')
  })

  it('validates messages strictly', () => {
    const good = machine('client').start()[0]!
    const cases: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['a proof before the hello', Buffer.concat([Buffer.from([2]), Buffer.alloc(32)])],
      ['an unknown type', Buffer.from([9, 1, 2])],
      ['bad magic', Buffer.concat([Buffer.from([1]), Buffer.from('XXXX'), good.subarray(5)])],
      ['a trailing byte', Buffer.concat([good, Buffer.from([0])])],
      ['a cut hello', good.subarray(0, good.length - 1)],
      ['a cut nonce', good.subarray(0, 20)],
      [
        'a client that says it is a server',
        Buffer.concat([good.subarray(0, 7), Buffer.from([2]), good.subarray(8)]),
      ],
      ['an unknown role', Buffer.concat([good.subarray(0, 7), Buffer.from([7]), good.subarray(8)])],
      ['unknown flags', Buffer.concat([good.subarray(0, 8), Buffer.from([6]), good.subarray(9)])],
      ['a node name that is not UTF-8', encodeHelloRaw(Buffer.from([0xff, 0xfe]))],
      ['an empty node name', encodeHelloRaw(Buffer.alloc(0))],
      ['a control character in the node name', encodeHelloRaw(Buffer.from('a\n'))],
    ]
    for (const [what, body] of cases) {
      const server = machine('server')
      server.start()
      let thrown: unknown
      try {
        server.receive(body)
      } catch (error) {
        thrown = error
      }
      expect(thrown, what).toBeInstanceOf(HandshakeError)
      expect(thrown, what).toBeInstanceOf(ProtocolError)
      expect((thrown as HandshakeError).reason, what).toBe('malformed')
    }
  })
})

/** A client hello with the given raw name bytes. */
function encodeHelloRaw(node: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([1]),
    Buffer.from('TRPE'),
    Buffer.from([PROTOCOL_VERSION >> 8, PROTOCOL_VERSION & 0xff, 1, 0]),
    Buffer.alloc(NONCE_BYTES),
    Buffer.from([node.length]),
    node,
  ])
}

describe('handshake over sockets', () => {
  it('a wrong cookie is refused on both sides, with a reason; the listener still accepts good clients', async () => {
    const serverLog = new CapturedLog()
    const clientLog = new CapturedLog()
    const listener = closeAfter(await listen('server', serverLog))
    let accepted = 0
    listener.onConnection((connection) => {
      accepted++
      closeAfter(connection)
    })
    const attempt = connect(listener, 'client', clientLog, { cookie: 'not the cookie of the cluster' })
    await expect(attempt).rejects.toBeInstanceOf(HandshakeError)
    const error = (await attempt.catch((e: unknown) => e)) as HandshakeError
    expect(error.reason).toBe('cookie-mismatch')
    expect(error.refusedBy).toBe('peer')
    expect(error.message).toBe(
      `handshake with 127.0.0.1:${portOf(listener)} failed: cookie mismatch (refused by the peer): the client's proof does not match the server's cookie`,
    )
    expect(clientLog.warnings()).toContain(error.message)
    const refused = await serverLog.waitFor(
      (line) => line.msg.startsWith('refused connection from'),
      'of the refusal',
    )
    expect(refused.msg).toMatch(
      /^refused connection from 127\.0\.0\.1:\d+: cookie mismatch: the client's proof does not match the server's cookie$/,
    )
    expect(refused.err?.type).toBe('HandshakeError')
    expect(accepted).toBe(0)

    const good = await connectedPair(listener, clientLog)
    closeAfter(good.client)
    expect(good.client.peer.node).toBe('server')
  })

  it('a client of another protocol version is refused, and learns why', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log))
    const socket = closeAfter(await rawSocket(portOf(listener)))
    const attempt = handshakeByHand(socket, { version: PROTOCOL_VERSION + 1 })
    await expect(attempt).rejects.toThrow(
      `protocol version mismatch (refused by the peer): the client speaks protocol version ${PROTOCOL_VERSION + 1}, the server ${PROTOCOL_VERSION}`,
    )
    await log.waitFor(
      (line) => /^refused connection from .*: protocol version mismatch/.test(line.msg),
      'of the refusal',
    )
    await socketClosed(socket, 5_000)
  })

  it('connect rejects when the server speaks another version', async () => {
    const log = new CapturedLog()
    // A server of the next protocol version, run by hand.
    const server = closeAfter(
      net.createServer((socket) => {
        socket.on('error', () => {})
        const handshake = machine('server', COOKIE, { version: PROTOCOL_VERSION + 1 })
        handshake.start()
        socket.once('data', (chunk) => {
          try {
            handshake.receive(chunk.subarray(4))
          } catch {
            socket.end(encodeFrame(handshake.rejection!))
          }
        })
      }),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const attempt = connectTcp({
      ...nodeOptions('client', log),
      port: (server.address() as net.AddressInfo).port,
    })
    const error = (await attempt.catch((e: unknown) => e)) as HandshakeError
    expect(error).toBeInstanceOf(HandshakeError)
    expect(error.reason).toBe('version-mismatch')
    expect(error.message).toMatch(/protocol version mismatch \(refused by the peer\)/)
    expect(log.warnings()).toContain(error.message)
  })

  it('a peer that connects and sends nothing is closed at the handshake timeout', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log, { handshakeTimeoutMs: 200 }))
    const socket = closeAfter(await rawSocket(portOf(listener)))
    const received: Buffer[] = []
    socket.on('data', (chunk) => received.push(chunk))
    const started = performance.now()
    await socketClosed(socket, 2_000)
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThan(150)
    expect(elapsed).toBeLessThan(1_500)
    const line = await log.waitFor((l) => l.msg.includes('handshake timed out'), 'of the timeout')
    expect(line.msg).toMatch(
      /^refused connection from 127\.0\.0\.1:\d+: handshake timed out: no handshake within 200 ms$/,
    )
    // It was told why before being closed.
    const frame = Buffer.concat(received)
    expect(decodeReject(frame.subarray(4)).reason).toBe('timeout')

    const good = await connectedPair(listener, log)
    closeAfter(good.client)
  })

  it('a peer that sends no hello is closed at the hello timeout, long before the handshake timeout', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(
      await listen('server', log, { handshakeTimeoutMs: 10_000, helloTimeoutMs: 200 }),
    )
    // One that says hello first, and is answered: it is held to the handshake timeout instead.
    const slow = closeAfter(await rawSocket(portOf(listener)))
    const answered = new Promise<void>((resolve) => slow.once('data', () => resolve()))
    slow.write(encodeFrame(machine('client').start()[0]!))
    await within(answered, 5_000, 'the server hello')

    const silent = closeAfter(await rawSocket(portOf(listener)))
    silent.resume()
    const started = performance.now()
    await socketClosed(silent, 3_000)
    expect(performance.now() - started).toBeLessThan(2_500)
    const refused = await log.waitFor(
      (l) => /^refused connection from .*: handshake timed out: no hello within 200 ms$/.test(l.msg),
      'of the hello timeout',
    )
    expect(refused.reason).toBe('timeout')
    // The slow one's hello timer, started earlier, has run out too, and it is still open.
    expect(slow.closed).toBe(false)
    expect(log.warnings().filter((line) => line.includes('no hello'))).toHaveLength(1)
  })

  it('checks helloTimeoutMs, frameAuth and maxQueuedBytes', async () => {
    const log = new CapturedLog()
    await expect(listen('server', log, { helloTimeoutMs: 0 })).rejects.toThrow(/helloTimeoutMs/)
    await expect(listen('server', log, { maxQueuedBytes: -1 })).rejects.toThrow(/maxQueuedBytes/)
    await expect(listen('server', log, { frameAuth: 'yes' as unknown as boolean })).rejects.toThrow(
      "invalid option 'frameAuth': expected true or false, got yes",
    )
  })

  it('connect rejects with a HandshakeError when the server never answers', async () => {
    const log = new CapturedLog()
    const sockets: net.Socket[] = []
    const server = closeAfter(
      net.createServer((socket) => {
        socket.on('error', () => {})
        sockets.push(socket)
      }),
    )
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const started = performance.now()
    const attempt = connectTcp({
      ...nodeOptions('client', log),
      port: (server.address() as net.AddressInfo).port,
      handshakeTimeoutMs: 200,
    })
    const error = (await within(
      attempt.catch((e: unknown) => e),
      2_000,
      'the timeout',
    )) as HandshakeError
    expect(performance.now() - started).toBeLessThan(1_500)
    expect(error).toBeInstanceOf(HandshakeError)
    expect(error.reason).toBe('timeout')
    expect(error.message).toMatch(
      /^handshake with 127\.0\.0\.1:\d+ failed: handshake timed out: no handshake within 200 ms$/,
    )
  })
})
