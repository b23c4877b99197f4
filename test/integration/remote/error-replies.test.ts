import { randomUUID } from 'node:crypto'
import { type ActorSystem, defineActor, failAfter, portalOf, RemoteActorError, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { connectTcp } from '../../../src/transport/index.ts'
import { createConnectionCodec } from '../../../src/wire/connection-codec.ts'
import { Host, lines } from '../../fixtures/portal-functions.ts'

// What an error reply tells the node that asked: what failed, never where (the server's files),
// unless the server is started with errorStacks.

const cookie = 'error-replies-cookie'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

class LedgerError extends Error {
  override name = 'LedgerError'
}

const Thrower = defineActor<string>({
  receive(_state, message) {
    throw new TypeError(`bad input ${message}`, { cause: new LedgerError('the ledger is closed') })
  },
})

/** Strings that would say where the server runs: this file, the project, its dependencies. */
const wherePaths = [import.meta.filename, process.cwd(), 'node_modules', 'file://']

async function server(errorStacks?: boolean): Promise<{ system: ActorSystem; node: string; port: number }> {
  const port = await freePort()
  const node = `server@127.0.0.1:${port}`
  const system = await start({
    node,
    cookie,
    logLevel: 'silent',
    ...(errorStacks === undefined ? {} : { errorStacks }),
  })
  cleanups.push(() => system.shutdown())
  system.spawn(Thrower, { name: 'thrower' })
  system.spawn(Host, { name: 'host' })
  return { system, node, port }
}

/** The bytes of the frame a raw, authenticated peer gets back for an ask of the thrower. */
async function errorReplyBytes(port: number): Promise<Buffer> {
  const connection = await connectTcp({
    host: '127.0.0.1',
    port,
    node: `raw-${randomUUID().slice(0, 8)}@127.0.0.1:1`,
    incarnation: randomUUID(),
    cookie,
  })
  cleanups.push(async () => connection.close())
  const codec = createConnectionCodec({ resolveRef: (address) => address as never })
  const reply = new Promise<Buffer>((resolve) =>
    connection.onFrame((body) => {
      const envelopes = codec.decoder.decodeEnvelopes(body)
      if (envelopes.some((envelope) => envelope.kind === 'error')) resolve(Buffer.from(body))
    }),
  )
  connection.send(codec.encoder.encodeEnvelope({ kind: 'ask', to: '/user/thrower', id: 1, message: 'x' }))
  return await failAfter(5_000, () => reply)
}

async function client(): Promise<ActorSystem> {
  const system = await start({ node: `client@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
  cleanups.push(() => system.shutdown())
  return system
}

/** What `promise` rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error as Error,
  )
}

async function askOfThrower(node: string): Promise<Error> {
  const asker = await client()
  return await rejection(
    failAfter(5_000, () => asker.refOf<string>(`troupe://${node}/user/thrower`).ask('x')),
  )
}

async function runOfDivide(node: string): Promise<RemoteActorError> {
  const caller = await client()
  const host = portalOf(caller, caller.refOf(`troupe://${node}/user/host`))
  const error = await rejection(failAfter(5_000, () => host.run(lines.divide, ['a', 'b'] as never)))
  expect(error).toBeInstanceOf(RemoteActorError)
  return error as RemoteActorError
}

describe('error replies between nodes', () => {
  it('carry the name, message and cause chain, and no path of the server', async () => {
    const { node, port } = await server()
    // An ask rejects with the receiver's error, rebuilt.
    const error = await askOfThrower(node)
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('bad input x')
    expect(error.stack).toBe('TypeError: bad input x')
    const cause = error.cause as Error
    expect(cause.name).toBe('LedgerError')
    expect(cause.message).toBe('the ledger is closed')
    expect(cause.stack).toBe('LedgerError: the ledger is closed')

    // A portal call rejects with a RemoteActorError that says what, not where.
    const remote = await runOfDivide(node)
    expect(remote.remoteName).toBe('TypeError')
    expect(remote.remoteMessage).toBe('divide takes two numbers')
    expect(remote.cause).toBeInstanceOf(TypeError)
    for (const path of wherePaths) expect(remote.remoteStack ?? '').not.toContain(path)

    const bytes = await errorReplyBytes(port)
    expect(bytes.includes('bad input x')).toBe(true)
    expect(bytes.includes('the ledger is closed')).toBe(true)
    for (const path of wherePaths) expect(bytes.includes(path), `the reply names ${path}`).toBe(false)
  })

  it('carry the stack too when the server is started with errorStacks', async () => {
    const { node, port } = await server(true)
    const error = await askOfThrower(node)
    expect(error.stack).toContain('TypeError: bad input x')
    expect(error.stack).toContain(import.meta.filename)
    expect((error.cause as Error).stack).toContain(import.meta.filename)
    const remote = await runOfDivide(node)
    expect(remote.remoteStack).toContain('portal-functions.ts')
    expect((await errorReplyBytes(port)).includes(import.meta.filename)).toBe(true)
  })
})
