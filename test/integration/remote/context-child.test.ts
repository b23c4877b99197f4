import { randomUUID } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import { threadId } from 'node:worker_threads'
import {
  type ActorSystem,
  CancelledError,
  type ChildNode,
  defineActor,
  moveOnAfter,
  NodeDownError,
  NotExposedError,
  portalOf,
  RemoteActorError,
  start,
  startChildNode,
} from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { connectTcp } from '../../../src/transport/index.ts'
import type { Envelope } from '../../../src/wire/envelope.ts'
import { createCodec } from '../../../src/wire/index.ts'
import { contexts } from '../../fixtures/context-functions.ts'
import { Host } from '../../fixtures/portal-functions.ts'
import { killChild, reapChildren } from '../../support/child-nodes.ts'
import { within } from '../transport/support.ts'

const modules = [
  new URL('../../fixtures/portal-functions.ts', import.meta.url).href,
  new URL('../../fixtures/context-functions.ts', import.meta.url).href,
]
const systems: ActorSystem[] = []
const children: ChildNode[] = []
const cleanups: (() => Promise<unknown>)[] = []

/** What the child's context functions report, re-emitted here by type. */
const reports = new EventEmitter()
const Reporter = defineActor<{ type: string; pid: number; detail?: unknown }>({
  receive(state, message) {
    reports.emit(message.type, message)
    return state
  },
})

function report(
  type: 'finally' | 'aborted' | 'sent',
  ms = 5_000,
): Promise<{ pid: number; detail?: unknown }> {
  return once(reports, type, { signal: AbortSignal.timeout(ms) }).then(([message]) => message)
}

afterEach(async () => {
  reports.removeAllListeners()
  await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()))
  await reapChildren(children)
  await Promise.all(systems.splice(0).map((system) => system.shutdown()))
})

async function setUp(kind: 'thread' | 'process') {
  const system = await start({ logLevel: 'silent' })
  systems.push(system)
  system.expose({ Host })
  const child = await within(
    startChildNode(system, { in: kind, modules, graceMs: 1_000 }),
    20_000,
    `a child ${kind}`,
  )
  children.push(child)
  const host = portalOf(system, system.spawn(Host, { on: child.node, name: 'host' }), { timeout: 10_000 })
  expect(await host.ask({ type: 'ping' })).toBe('pong')
  const reporter = system.spawn(Reporter, { name: 'reporter' })
  return { system, child, host, reporter }
}

describe.each(['thread', 'process'] as const)('a context with a function in a child %s', (kind) => {
  it('echoes both ways, in the child, as the actor; close ends it with its result', async () => {
    const { child, host, reporter } = await setUp(kind)
    const who = await host.open(contexts.whoAmI)
    expect(who.first.actor).toBe(`troupe://${child.node}/user/host`)
    if (kind === 'process') expect(who.first.pid).toBe(child.id)
    else expect(who.first.threadId).not.toBe(threadId)
    expect(who.first.callSignal).toBe(true)
    await who.close()
    expect(await who.result()).toBe('closed')

    const finished = report('finally')
    const ctx = await host.open(contexts.echo, ['pong ', reporter])
    expect(ctx.first).toBe('ready')
    const replies: string[] = []
    for (let i = 1; i <= 3; i++) {
      await ctx.send(`ping ${i}`)
      const reply = await ctx.next()
      if (reply.done !== true) replies.push(reply.value)
    }
    expect(replies).toEqual(['pong ping 1', 'pong ping 2', 'pong ping 3'])
    await ctx.close()
    expect(await ctx.result()).toBe('done after 3')
    expect((await finished).detail).toBe(3)
  })

  it('carries many values each way through a small window', async () => {
    const { system, host } = await setUp(kind)
    const ctx = await portalOf(system, host, { window: 16 }).open(contexts.echo, [''])
    const count = 5_000
    const reading = (async () => {
      let next = 0
      for await (const reply of ctx) if (reply === String(next)) next++
      return next
    })()
    for (let i = 0; i < count; i++) await ctx.send(String(i))
    await ctx.close()
    expect(await reading).toBe(count)
    expect(await ctx.result()).toBe(`done after ${count}`)
  })

  it('rejects open, or ends the loop and result, with what the child threw', async () => {
    const { host } = await setUp(kind)
    const early = await host.open(contexts.failsAtOnce).catch((e: unknown) => e)
    expect(early).toBeInstanceOf(RemoteActorError)
    expect((early as RemoteActorError).cause).toBeInstanceOf(RangeError)
    expect((early as RemoteActorError).actor).toBe(host.address)

    const ctx = await host.open(contexts.failsAfter, [1])
    await ctx.send(7)
    const got: number[] = []
    const late = await (async () => {
      for await (const n of ctx) got.push(n)
    })().catch((e: unknown) => e)
    expect(got).toEqual([7])
    expect(late).toBeInstanceOf(RemoteActorError)
    expect((late as RemoteActorError).remoteMessage).toBe('failed after 1 messages')
    await expect(ctx.result()).rejects.toBe(late)
  })

  it('refuses a function the child does not expose', async () => {
    const { host } = await setUp(kind)
    const fake = { module: contexts.echo.module, name: 'hidden' } as typeof contexts.neverStarts
    const error = await host.open(fake).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(NotExposedError)
  })

  it("cancels the child's function: its signal aborts and its finally runs", async () => {
    const { child, host, reporter } = await setUp(kind)
    const ctx = await host.open(contexts.whoAmI, [reporter])
    const aborted = report('aborted')
    const finished = report('finally')
    ctx.cancel()
    expect((await aborted).detail).toBe(true)
    const message = await finished
    if (kind === 'process') expect(message.pid).toBe(child.id)
    await expect(ctx.result()).rejects.toBeInstanceOf(CancelledError)
  })

  it('is cancelled by moveOnAfter around it, in the child too', async () => {
    const { host, reporter } = await setUp(kind)
    const finished = report('finally')
    const result = await moveOnAfter(200, async () => {
      const ctx = await host.open(contexts.neverReads, [reporter])
      return ctx.result()
    })
    expect(result).toBeUndefined()
    await finished
  })

  it("holds the caller's send once the child has a window it does not read", async () => {
    const { system, host, reporter } = await setUp(kind)
    const ctx = await portalOf(system, host, { window: 4 }).open(contexts.neverReads, [reporter])
    for (let i = 0; i < 4; i++) await ctx.send(i)
    let sent = false
    const fifth = ctx.send(4).then(() => {
      sent = true
    })
    // A round trip on the same connection: any credit the child had sent would have landed first.
    expect(await host.ask({ type: 'ping' })).toBe('pong')
    expect(sent).toBe(false)
    const finished = report('finally')
    ctx.cancel()
    await expect(fifth).rejects.toBeInstanceOf(CancelledError)
    await finished
  })

  it('fails with NodeDownError soon after the child is killed mid-context', async () => {
    const { child, host } = await setUp(kind)
    const ctx = await host.open(contexts.echo, [''])
    await ctx.send('a')
    expect(await ctx.next()).toEqual({ value: 'a', done: false })
    const reading = ctx.next()
    const killedAt = Date.now()
    killChild(child)
    await expect(reading).rejects.toBeInstanceOf(NodeDownError)
    expect(Date.now() - killedAt).toBeLessThan(500)
    await expect(ctx.result()).rejects.toBeInstanceOf(NodeDownError)
    await expect(ctx.send('b')).rejects.toBeInstanceOf(NodeDownError)
  })
})

describe('a node facing context envelopes it does not expect', () => {
  const cookie = 'context-test-cookie'
  const codec = createCodec({
    resolveRef: () => {
      throw new Error('no refs here')
    },
  })

  async function rawPeer(port: number) {
    const connection = await connectTcp({
      host: '127.0.0.1',
      port,
      node: `raw-${randomUUID()}@127.0.0.1:1`,
      incarnation: randomUUID(),
      cookie,
    })
    cleanups.push(async () => connection.close())
    return connection
  }

  it('ignores unknown context ids, closes only a connection that sends a malformed open', async () => {
    const port = await freePort()
    const system = await start({ node: `n@127.0.0.1:${port}`, cookie, logLevel: 'silent' })
    systems.push(system)
    system.spawn(Host, { name: 'host' })
    const good = await rawPeer(port)
    // The node may send a heartbeat first: wait for the reply itself.
    const reply = new Promise<Envelope>((resolve) =>
      good.onFrame((frame) => {
        const envelope = codec.decodeEnvelope(frame)
        if (envelope.kind === 'reply') resolve(envelope)
      }),
    )
    const unknownIds: Envelope[] = [
      { kind: 'items', id: 99, by: 'caller', values: [1, 2] },
      { kind: 'items', id: 99, by: 'callee', values: [1, 2] },
      { kind: 'credit', id: 99, by: 'callee', n: 3 },
      { kind: 'end', id: 99, by: 'caller' },
      { kind: 'end', id: 99, by: 'callee', value: 'x' },
      { kind: 'started', id: 99, first: 'x' },
      { kind: 'credit', id: 99, by: 'caller', n: 1 },
      { kind: 'cancel', id: 99 },
    ]
    for (const envelope of unknownIds) good.send(codec.encodeEnvelope(envelope))
    good.send(codec.encodeEnvelope({ kind: 'ask', to: '/user/host', id: 1, message: { type: 'ping' } }))
    expect(await within(reply, 5_000, 'the answer to an ask after unknown context ids')).toEqual({
      kind: 'reply',
      id: 1,
      message: 'pong',
    })

    const bad = await rawPeer(port)
    const open = {
      kind: 'open',
      id: 1,
      actor: '/user/host',
      module: 'm',
      name: 'n',
      args: [],
      mode: 'context',
      window: 0,
    }
    bad.send(codec.encodeEnvelope(open as never))
    await within(bad.closed(), 5_000, 'the node to close a connection sending window 0')
    expect(await portalOf(system, system.localActor('host')!).ask({ type: 'ping' })).toBe('pong')
  })
})
