import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ActorSystem, defineActor, InvalidOptionError, start } from 'troupe'
import { describe, expect, it } from 'vitest'
import { NatsConnectError, type NatsOptions, openNatsTransport } from '../../../src/transport/nats/index.ts'
import { makeOperator } from '../../support/nats-creds.ts'
import { type NatsServer, natsServerVersion, startNatsServer } from '../../support/nats-server.ts'
import { hasOpenssl, makePki } from '../../support/pki.ts'
import { CapturedLog, COOKIE, cleanupsAfterEach } from '../transport/support.ts'

// Credentials files (operator mode) and TLS to NATS servers, with real servers: what
// transport.test.ts does for tokens and user/password.

const cleanups = cleanupsAfterEach()
const logLevel = process.env.TEST_LOG === undefined ? 'silent' : 'info'

const Echo = defineActor<string>({ receive: (_s, text, ctx) => ctx.reply(`echo ${text}`) })

/** A temporary folder, removed in cleanup. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-nats-credentials-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function server(args: readonly string[], jetstream = false): Promise<NatsServer> {
  const started = await startNatsServer({ args, jetstream })
  cleanups.push(() => started.stop())
  return started
}

/** A node's NATS transport; closed in cleanup. */
async function transport(node: string, nats: NatsOptions) {
  const opened = await openNatsTransport({
    node,
    incarnation: `${node}-1`,
    cookie: COOKIE,
    nats,
    logger: new CapturedLog().logger,
  })
  cleanups.push(() => opened.close())
  return opened
}

/** A node started on NATS as users start one; shut down in cleanup. */
async function node(name: string, nats: NatsOptions): Promise<ActorSystem> {
  const system = await start({ node: name, cookie: COOKIE, logLevel, nats })
  cleanups.push(() => system.shutdown())
  return system
}

/** `b` serves an echo by name, `a` finds it and asks it. */
async function talk(a: ActorSystem, b: ActorSystem): Promise<void> {
  b.spawn(Echo, { name: 'echo' })
  const echo = await a.waitForActor<string>('echo', { timeout: 5000 })
  expect(await echo.ask('over nats')).toBe('echo over nats')
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('connected, but should have been refused')
    },
    (error: unknown) => error as Error,
  )

describe.skipIf(natsServerVersion() === undefined || !hasOpenssl)('TLS to NATS servers', () => {
  /** A CA, and a server certificate for 127.0.0.1 signed by it, as PEM text and files. */
  function pki() {
    const dir = folder()
    const made = makePki(dir, 'nats')
    const serverCert = made.issue('server')
    const client = made.issue('client')
    const files = {
      ca: join(dir, 'nats-ca.crt'),
      serverCert: join(dir, 'nats-server.crt'),
      serverKey: join(dir, 'nats-server.key'),
      cert: join(dir, 'nats-client.crt'),
      key: join(dir, 'nats-client.key'),
    }
    return { ca: made.ca, serverCert, client, files, other: makePki(dir, 'other').ca }
  }

  it('nodes that trust the CA connect and talk (PEM text and file paths); without it they are refused', async () => {
    const { ca, files, other } = pki()
    const nats = await server(['--tls', '--tlscert', files.serverCert, '--tlskey', files.serverKey], true)
    const tlsUrl = `tls://127.0.0.1:${nats.port}`
    const a = await node('a', { servers: tlsUrl, tls: { ca } })
    const b = await node('b', { servers: nats.url, tls: { ca: files.ca } })
    await talk(a, b)

    for (const servers of [tlsUrl, nats.url]) {
      const untrusted = await refusal(transport('c', { servers }))
      expect(untrusted).toBeInstanceOf(NatsConnectError)
      expect(untrusted.message).toMatch(new RegExp(`cannot connect to NATS at ${servers}: .*certificate`))
    }
    const wrongCa = await refusal(transport('d', { servers: tlsUrl, tls: { ca: other } }))
    expect(wrongCa).toBeInstanceOf(NatsConnectError)
    expect(wrongCa.message).toMatch(/certificate/)
  }, 20_000)

  it('a server that verifies clients refuses one without a certificate and takes one with it', async () => {
    const { ca, client, files } = pki()
    const nats = await server([
      '--tlsverify',
      '--tlscert',
      files.serverCert,
      '--tlskey',
      files.serverKey,
      '--tlscacert',
      files.ca,
    ])
    const servers = `tls://127.0.0.1:${nats.port}`
    // The server drops a client without a certificate after the TLS handshake; the client (nats.js)
    // keeps that TLS alert to itself and waits out its connect timeout, so the error says
    // 'timeout', and only the server's log says why.
    const none = await refusal(transport('a', { servers, tls: { ca }, connectTimeoutMs: 1_000 }))
    expect(none).toBeInstanceOf(NatsConnectError)
    expect(none.message).toContain(`cannot connect to NATS at ${servers}`)
    expect(none.message).toMatch(/certificate|timeout/)
    await nats.waitFor("client didn't provide a certificate")

    const pem = await transport('b', { servers, tls: { ca, ...client } })
    const paths = await transport('c', { servers, tls: { ca: files.ca, cert: files.cert, key: files.key } })
    const incoming = new Promise((resolve) => paths.onConnection(resolve))
    const connection = await pem.connect(undefined, 'c')
    expect(connection.peer.node).toBe('c')
    await incoming
  }, 20_000)
})

describe.skipIf(natsServerVersion() === undefined)('a credentials file (operator mode)', () => {
  it('nodes with the creds file connect and talk; without it they are refused', async () => {
    const dir = folder()
    const { config, creds } = makeOperator().write(dir)
    const nats = await server(['-c', config], true)
    const a = await node('a', { servers: nats.url, credsFile: creds })
    const b = await node('b', { servers: nats.url, credsFile: creds })
    await talk(a, b)

    const none = await refusal(transport('c', { servers: nats.url }))
    expect(none).toBeInstanceOf(NatsConnectError)
    expect(none.message).toMatch(new RegExp(`cannot connect to NATS at ${nats.url}: .*[Aa]uthorization`))

    const stranger = makeOperator().write(folder())
    const wrong = await refusal(transport('d', { servers: nats.url, credsFile: stranger.creds }))
    expect(wrong).toBeInstanceOf(NatsConnectError)
    expect(wrong.message).toMatch(/[Aa]uthorization/)
  }, 20_000)

  it('a creds file that is not there is an InvalidOptionError naming nats.credsFile', async () => {
    const missing = join(folder(), 'nobody.creds')
    const error = await refusal(node('a', { servers: 'nats://127.0.0.1:1', credsFile: missing }))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error.message).toContain('nats.credsFile')
    expect(error.message).toContain(missing)
  })
})
