import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Connection,
  HandshakeError,
  type Listener,
  type TlsOptions,
} from '../../../src/transport/index.ts'
import { hasOpenssl, makePki } from '../../support/pki.ts'
import {
  CapturedLog,
  cleanupsAfterEach,
  connect,
  connectedPair,
  listen,
  nextConnection,
  portOf,
  socketClosed,
  within,
} from './support.ts'

const cleanups = cleanupsAfterEach()
function closeAfter<T extends Listener | Connection>(thing: T): T {
  cleanups.push(() => thing[Symbol.asyncDispose]())
  return thing
}

describe.skipIf(!hasOpenssl)('tls (mutual authentication; skipped only when openssl is missing)', () => {
  let dir = ''
  let server: TlsOptions
  let client: TlsOptions
  let stranger: TlsOptions
  let ca = ''

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'troupe-tls-'))
    const pki = makePki(dir, 'troupe')
    ca = pki.ca
    server = { ...pki.issue('server'), ca }
    client = { ...pki.issue('client'), ca }
    // A certificate from another CA, which the server does not trust.
    const other = makePki(dir, 'other')
    stranger = { ...other.issue('stranger'), ca }
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('carries frames both ways between nodes with certificates from the same CA', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log, { tls: server }))
    const pair = await connectedPair(listener, log, { tls: client })
    closeAfter(pair.client)
    expect(pair.client.peer.node).toBe('server')
    expect(pair.server.peer.node).toBe('client')
    pair.server.onFrame((body) => pair.server.send(body))
    const echoed = new Promise<string>((resolve) =>
      pair.client.onFrame((body) => resolve(Buffer.from(body).toString())),
    )
    pair.client.send(Buffer.from('over tls'))
    expect(await within(echoed, 5_000, 'the echo')).toBe('over tls')
  })

  it('refuses a client whose certificate another CA signed; connect rejects and both sides log it', async () => {
    const serverLog = new CapturedLog()
    const clientLog = new CapturedLog()
    const listener = closeAfter(await listen('server', serverLog, { tls: server }))
    let accepted = 0
    listener.onConnection((connection) => {
      accepted++
      closeAfter(connection)
    })
    const error = (await within(
      connect(listener, 'client', clientLog, { tls: stranger }).catch((e: unknown) => e),
      5_000,
      'the refusal',
    )) as HandshakeError
    expect(error).toBeInstanceOf(HandshakeError)
    expect(['tls', 'closed']).toContain(error.reason)
    expect(clientLog.warnings()).toContain(error.message)
    const line = await serverLog.waitFor((l) => l.msg.startsWith('refused connection from'), 'of the refusal')
    expect(line.msg).toMatch(
      /^refused connection from 127\.0\.0\.1:\d+: TLS handshake failed: the client's certificate was refused \(\w+\)$/,
    )
    expect(accepted).toBe(0)
  })

  it('refuses a client that shows no certificate at all', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log, { tls: server }))
    const socket = tls.connect({ host: '127.0.0.1', port: portOf(listener), ca })
    socket.on('error', () => {})
    socket.resume()
    cleanups.push(() => socket.destroy())
    await socketClosed(socket, 5_000)
    const line = await log.waitFor((l) => l.msg.startsWith('refused connection from'), 'of the refusal')
    expect(line.msg).toMatch(/TLS handshake failed: .*certificate/i)
  })

  it('a client refuses a server whose certificate it does not trust', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log, { tls: { ...stranger } }))
    const error = (await within(
      connect(listener, 'client', log, { tls: client }).catch((e: unknown) => e),
      5_000,
      'the refusal',
    )) as HandshakeError
    expect(error).toBeInstanceOf(HandshakeError)
    expect(error.reason).toBe('tls')
    expect(error.refusedBy).toBe('local')
  })

  it('refuses a client whose certificate is not for the node name it proved; the one it names still connects', async () => {
    const log = new CapturedLog()
    // Every refusal logged: one per address and reason per millisecond at most.
    const listener = closeAfter(await listen('server', log, { tls: server, refusalLogIntervalMs: 1 }))
    // The certificate is for CN=client, IP 127.0.0.1 and DNS localhost.
    for (const claimed of ['mallory', 'mallory@10.9.8.7:9700']) {
      const claimant = closeAfter(await connect(listener, claimed, log, { tls: client }))
      await within(claimant.closed(), 5_000, 'the claimant to be closed')
      const line = await log.waitFor(
        (l) => l.msg.includes(`is not for the node it claims to be, ${JSON.stringify(claimed)}`),
        `the refusal of ${claimed}`,
      )
      expect(line.msg).toMatch(
        /^refused connection from 127\.0\.0\.1:\d+: TLS handshake failed: the client's certificate/,
      )
    }
    for (const named of ['client', 'client@127.0.0.1:9700', 'any@localhost:9700']) {
      const accepted = nextConnection(listener)
      closeAfter(await connect(listener, named, log, { tls: client }))
      expect((await accepted).peer.node).toBe(named)
    }
  })

  it('a plain TCP client gets nowhere with a TLS listener', async () => {
    const log = new CapturedLog()
    const listener = closeAfter(await listen('server', log, { tls: server }))
    const error = (await within(
      connect(listener, 'client', log, { handshakeTimeoutMs: 1_000 }).catch((e: unknown) => e),
      5_000,
      'the refusal',
    )) as HandshakeError
    expect(error).toBeInstanceOf(HandshakeError)
  })
})
