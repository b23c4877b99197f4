import { once } from 'node:events'
import {
  type ActorSystem,
  CancelledError,
  ContextClosedError,
  ContextMisuseError,
  moveOnAfter,
  NodeDownError,
  NotExposedError,
  type Portal,
  portalOf,
  RemoteActorError,
} from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { checkEnvelope } from '../../../src/wire/check-envelope.ts'
import { contexts, probe, type WhoAmI } from '../../fixtures/context-functions.ts'
import { Host } from '../../fixtures/portal-functions.ts'
import { startInProcessNode } from '../../support/in-process-node.ts'

const systems: ActorSystem[] = []

beforeEach(() => probe.reset())

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

/** Resolves with what comes with `name`, or rejects after `ms`. */
async function event(name: 'finally' | 'sent' | 'aborted', ms = 2_000): Promise<unknown> {
  const [detail] = await once(probe.events, name, { signal: AbortSignal.timeout(ms) })
  return detail
}

/** Resolves once `probe.sent` is `n`, or rejects after 2 s. */
async function sentReaches(n: number): Promise<void> {
  const deadline = AbortSignal.timeout(2_000)
  while (probe.sent < n) await once(probe.events, 'sent', { signal: deadline })
}

/** Whether `promise` has settled, after every microtask queued so far and one turn of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  promise.then(
    () => {
      done = true
    },
    () => {
      done = true
    },
  )
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

interface Setup {
  net: InProcessNetwork
  a: ActorSystem
  b: ActorSystem
  portal: Portal
  /** The other node of the context's callee, or `undefined` on one node. */
  remote: boolean
  /** Waits until everything in flight between the nodes has landed (a ping round trip). */
  settle(): Promise<void>
}

async function setUp(where: 'remote' | 'local', options: { window?: number; signal?: AbortSignal } = {}) {
  const net = new InProcessNetwork()
  const a = await startInProcessNode(net, 'a')
  const b = await startInProcessNode(net, 'b')
  systems.push(a, b)
  a.expose({ Host })
  b.expose({ Host })
  const host =
    where === 'remote' ? a.spawn(Host, { on: b.node, name: 'host' }) : a.spawn(Host, { name: 'here' })
  const portal = portalOf(a, host, options)
  const settle = async () => {
    expect(await portal.ask({ type: 'ping' })).toBe('pong')
  }
  await settle()
  return { net, a, b, portal, remote: where === 'remote', settle } satisfies Setup
}

/** The callee's own error: as a `RemoteActorError` from another node, as itself on this one. */
function causeOf(error: unknown, remote: boolean): unknown {
  if (!remote) return error
  expect(error).toBeInstanceOf(RemoteActorError)
  return (error as RemoteActorError).cause
}

describe.each(['remote', 'local'] as const)('portal.open (%s)', (where) => {
  it('echoes both ways, then the callee returns once the caller closes', async () => {
    const { portal } = await setUp(where)
    const finished = event('finally')
    const ctx = await portal.open(contexts.echo, ['echo: '])
    expectTypeOf(ctx.first).toEqualTypeOf<'ready'>()
    expect(ctx.first).toBe('ready')
    const replies: string[] = []
    for (const word of ['a', 'b', 'c']) {
      await ctx.send(word)
      const reply = await ctx.next()
      if (reply.done !== true) replies.push(reply.value)
    }
    expect(replies).toEqual(['echo: a', 'echo: b', 'echo: c'])
    await ctx.close()
    const result = await ctx.result()
    expectTypeOf(result).toEqualTypeOf<string>()
    expect(result).toBe('done after 3')
    expect(await finished).toBe(3)
    // The callee returned: the caller's loop ends, and sending is refused.
    expect(await ctx.next()).toEqual({ value: undefined, done: true })
    await expect(ctx.send('late')).rejects.toBeInstanceOf(ContextClosedError)
  })

  it('keeps the context when a loop is left early; close ends the callee loop', async () => {
    const { portal } = await setUp(where)
    const ctx = await portal.open(contexts.echo, ['> '])
    await ctx.send('one')
    await ctx.send('two')
    for await (const reply of ctx) {
      expect(reply).toBe('> one')
      break
    }
    await ctx.send('three')
    await ctx.close()
    await expect(ctx.send('four')).rejects.toBeInstanceOf(ContextClosedError)
    const rest: string[] = []
    for await (const reply of ctx) rest.push(reply)
    expect(rest).toEqual(['> two', '> three'])
    expect(await ctx.result()).toBe('done after 3')
  })

  it('flows a thousand values each way through a window of 4', async () => {
    const { a, portal } = await setUp(where)
    const ctx = await portalOf(a, portal, { window: 4 }).open(contexts.echo, [''])
    const count = 1_000
    const reading = (async () => {
      const got: string[] = []
      for await (const reply of ctx) got.push(reply)
      return got
    })()
    for (let i = 0; i < count; i++) await ctx.send(String(i))
    await ctx.close()
    expect(await reading).toEqual(Array.from({ length: count }, (_, i) => String(i)))
    expect(await ctx.result()).toBe(`done after ${count}`)
  })

  it("makes the caller's send wait after a window the callee has not read (the call's window)", async () => {
    const { a, portal, settle } = await setUp(where)
    // The call's own window wins over the portal's.
    const ctx = await portalOf(a, portal, { window: 64 }).open(contexts.neverReads, [], { window: 4 })
    for (let i = 0; i < 4; i++) await ctx.send(i)
    const fifth = ctx.send(4)
    await settle()
    expect(await settled(fifth)).toBe(false)
    const finished = event('finally')
    ctx.cancel()
    await expect(fifth).rejects.toBeInstanceOf(CancelledError)
    await finished
    await expect(ctx.result()).rejects.toBeInstanceOf(CancelledError)
  })

  it("makes the callee's send wait after a window the caller has not read", async () => {
    const { a, portal, settle } = await setUp(where)
    const ctx = await portalOf(a, portal, { window: 4 }).open(contexts.floods, [50])
    await sentReaches(4)
    await settle()
    await new Promise((resolve) => setImmediate(resolve))
    expect(probe.sent).toBe(4)
    const got: number[] = []
    for await (const n of ctx) got.push(n)
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(await ctx.result()).toBe(50)
  })

  it('rejects open with what the callee threw before started', async () => {
    const { portal } = await setUp(where)
    const error = await portal.open(contexts.failsAtOnce).catch((e: unknown) => e)
    const cause = causeOf(error, where === 'remote')
    expect(cause).toBeInstanceOf(RangeError)
    expect((cause as Error).message).toBe('not ready at all')
    if (where === 'remote') expect((error as RemoteActorError).actor).toBe(portal.address)
  })

  it('ends the loop and rejects result and send with what the callee threw after started', async () => {
    const { portal } = await setUp(where)
    const ctx = await portal.open(contexts.failsAfter, [2])
    await ctx.send(1)
    await ctx.send(2)
    const got: number[] = []
    const error = await (async () => {
      for await (const n of ctx) got.push(n)
    })().catch((e: unknown) => e)
    expect(got).toEqual([1, 2])
    expect(causeOf(error, where === 'remote')).toBeInstanceOf(RangeError)
    await expect(ctx.result()).rejects.toBe(error)
    await expect(ctx.send(3)).rejects.toBe(error)
  })

  it('rejects open when the callee returns without calling started', async () => {
    const { portal } = await setUp(where)
    const error = await portal.open(contexts.neverStarts).catch((e: unknown) => e)
    const cause = causeOf(error, where === 'remote')
    expect(cause).toBeInstanceOf(ContextMisuseError)
    expect((cause as Error).message).toContain('returned before it called channel.started()')
  })

  it('fails a callee that misuses its channel with ContextMisuseError, which arrives as itself', async () => {
    const { portal } = await setUp(where)
    const ctx = await portal.open(contexts.startsTwice)
    expect(ctx.first).toBe('once')
    const twice = causeOf(await ctx.result().catch((e: unknown) => e), where === 'remote')
    expect(twice).toBeInstanceOf(ContextMisuseError)
    expect((twice as Error).message).toBe('channel.started() was already called')
    const early = causeOf(
      await portal.open(contexts.sendsBeforeStarted).catch((e: unknown) => e),
      where === 'remote',
    )
    expect(early).toBeInstanceOf(ContextMisuseError)
    expect((early as Error).message).toBe('call channel.started() before channel.send()')
  })

  it('lets one loop at a time read a context: a second reader gets ContextMisuseError', async () => {
    const { portal } = await setUp(where)
    const ctx = await portal.open(contexts.echo, ['echo: '])
    const first = ctx.next()
    await expect(ctx.next()).rejects.toThrow(ContextMisuseError)
    await ctx.send('hi')
    expect(await first).toEqual({ value: 'echo: hi', done: false })
    await ctx.close()
  })

  it("runs the callee as the portal's actor, with the call signal as its channel's", async () => {
    const { portal } = await setUp(where)
    const ctx = await portal.open(contexts.whoAmI)
    const first: WhoAmI = ctx.first
    expect(first.actor).toBe(portal.address)
    expect(first.callSignal).toBe(true)
    expect(first.ambient).toBe(true)
    await ctx.close()
    expect(await ctx.result()).toBe('closed')
  })

  it('cancels the callee: its signal aborts, its finally runs, result rejects', async () => {
    const { portal } = await setUp(where)
    const ctx = await portal.open(contexts.whoAmI)
    const aborted = event('aborted')
    const finished = event('finally')
    ctx.cancel()
    expect(await aborted).toBe(true)
    await finished
    const error = await ctx.result().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CancelledError)
    await expect(ctx.next()).rejects.toBe(error)
    await expect(ctx.send(undefined as never)).rejects.toBe(error)
  })

  it('is cancelled by the ambient scope: moveOnAfter', async () => {
    const { portal } = await setUp(where)
    const finished = event('finally')
    const began = Date.now()
    const result = await moveOnAfter(100, async () => {
      const ctx = await portal.open(contexts.neverReads)
      return ctx.result()
    })
    expect(result).toBeUndefined()
    expect(Date.now() - began).toBeLessThan(1_000)
    await finished
  })

  it("is cancelled by the portal's signal, rejecting with its reason", async () => {
    const controller = new AbortController()
    const { portal } = await setUp(where, { signal: controller.signal })
    const finished = event('finally')
    const ctx = await portal.open(contexts.neverReads)
    controller.abort(new Error('enough'))
    await expect(ctx.result()).rejects.toThrow('enough')
    await finished
  })

  it('closes and waits for the result with await using', async () => {
    const { portal } = await setUp(where)
    const finished = event('finally')
    {
      await using ctx = await portal.open(contexts.echo, [''])
      await ctx.send('x')
      expect(await ctx.next()).toEqual({ value: 'x', done: false })
    }
    expect(await finished).toBe(1)
  })

  it('takes a cancel of its own as no error when disposed, with the reason given', async () => {
    const { portal } = await setUp(where)
    const finished = event('finally')
    let result: Promise<unknown> | undefined
    {
      await using ctx = await portal.open(contexts.neverReads)
      result = ctx.result()
      ctx.cancel('changed my mind')
    }
    const error = await result.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).reason).toBe('changed my mind')
    await finished
  })

  it('refuses a function that is not exposed', async () => {
    const { portal } = await setUp(where)
    const fake = { module: contexts.echo.module, name: 'hidden' }
    const error = await portal.open(fake as typeof contexts.neverStarts).catch((e: unknown) => e)
    expect(causeOf(error, where === 'remote')).toBeInstanceOf(NotExposedError)
  })
})

describe('portal.open over the network', () => {
  it('fails the context with NodeDownError when the node is cut off', async () => {
    const { net, b, portal } = await setUp('remote')
    const ctx = await portal.open(contexts.echo, [''])
    await ctx.send('a')
    expect(await ctx.next()).toEqual({ value: 'a', done: false })
    const reading = ctx.next()
    net.partition(b.node)
    await expect(reading).rejects.toBeInstanceOf(NodeDownError)
    await expect(ctx.result()).rejects.toBeInstanceOf(NodeDownError)
    await expect(ctx.send('b')).rejects.toBeInstanceOf(NodeDownError)
  })

  it('rejects open with NodeDownError when the node is gone', async () => {
    const { net, b, portal } = await setUp('remote')
    net.partition(b.node)
    await expect(portal.open(contexts.echo, [''])).rejects.toBeInstanceOf(NodeDownError)
  })

  it('cancels the callee when the calling node goes down', async () => {
    const { net, a, portal } = await setUp('remote')
    const finished = event('finally')
    await portal.open(contexts.neverReads)
    net.partition(a.node)
    await finished
  })
})

describe('the context envelopes', () => {
  it('are checked field by field', () => {
    const open = {
      kind: 'open',
      id: 1,
      actor: '',
      module: 'm',
      name: 'n',
      args: [],
      mode: 'context',
      window: 4,
    }
    expect(checkEnvelope(open)).toBe(open)
    expect(() => checkEnvelope({ ...open, window: 0 })).toThrow(
      "envelope 'open' needs 'window' to be a positive integer",
    )
    expect(() => checkEnvelope({ ...open, args: 'x' })).toThrow("envelope 'open' needs 'args' to be an array")
    expect(checkEnvelope({ kind: 'started', id: 1, first: undefined }).kind).toBe('started')
    expect(() => checkEnvelope({ kind: 'started', id: 1 })).toThrow("envelope 'started' lacks 'first'")
    expect(checkEnvelope({ kind: 'items', id: 2, by: 'caller', values: [1, undefined] }).kind).toBe('items')
    expect(() => checkEnvelope({ kind: 'items', id: 2, by: 'caller', values: {} })).toThrow("needs 'values'")
    expect(() => checkEnvelope({ kind: 'items', id: 2, by: 'me', values: [] })).toThrow(
      "envelope 'items' needs 'by' to be one of caller, callee",
    )
    expect(() => checkEnvelope({ kind: 'credit', id: 1, by: 'callee', n: 0 })).toThrow("needs 'n'")
    expect(() => checkEnvelope({ kind: 'end', id: -1, by: 'caller' })).toThrow("envelope 'end' needs 'id'")
  })
})
