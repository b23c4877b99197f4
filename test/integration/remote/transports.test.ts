import { once } from 'node:events'
import {
  type ActorSystem,
  CancelledError,
  currentActor,
  defineActor,
  LinkedActorFailedError,
  moveOnAfter,
  openCancelScope,
  portalOf,
  type Ref,
  RemoteActorError,
} from 'troupe'
import { createTestProbe } from 'troupe/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_STREAM_WINDOW } from '../../../src/remote/portal/portal-call.ts'
import { probe as contextProbe, contexts } from '../../fixtures/context-functions.ts'
import { Host, lines } from '../../fixtures/portal-functions.ts'
import { probe, streams } from '../../fixtures/stream-functions.ts'
import { transportSetups } from '../../support/transports.ts'

/**
 * What every transport keeps (DESIGN §2), run over the in-process network, TCP on 127.0.0.1 and
 * NATS on a real nats-server: tells and asks in order, refs in messages, remote errors, watch,
 * link, remote spawn, portals (`run`, `stream` with backpressure and break-to-cancel, `open`) and
 * cancellation. What only the in-process network can do (partition, freeze) stays in its own tests.
 */

type CounterMsg =
  | { type: 'inc'; by: number }
  | { type: 'get' }
  | { type: 'crash' }
  | { type: 'echo-ref'; ref: Ref }

const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  receive(n, msg, ctx) {
    switch (msg.type) {
      case 'inc':
        return n + msg.by
      case 'get':
        ctx.reply(n)
        return n
      case 'crash':
        throw new RangeError('counter crashed')
      case 'echo-ref':
        msg.ref.tell({ from: ctx.self, n })
        return n
    }
  },
})

/** Resolves when the stream probe emits `name`, or rejects after `ms`. */
function streamEvent(name: 'finally' | 'started' | 'aborted', ms = 5_000): Promise<unknown> {
  return once(probe.events, name, { signal: AbortSignal.timeout(ms) })
}

/** Resolves with what the context probe emits with `name`, or rejects after `ms`. */
async function contextEvent(name: 'finally' | 'aborted', ms = 5_000): Promise<unknown> {
  const [detail] = await once(contextProbe.events, name, { signal: AbortSignal.timeout(ms) })
  return detail
}

describe.each(transportSetups())('remote behaviour over $name', (transport) => {
  describe.skipIf(transport.skip !== undefined)(`(${transport.skip ?? 'runs here'})`, () => {
    beforeAll(() => transport.prepare(), 30_000)
    afterAll(() => transport.release())
    beforeEach(() => {
      probe.reset()
      contextProbe.reset()
    })
    afterEach(() => transport.stopNodes())

    /** Two nodes that expose the counter and the portal host. */
    async function pair(options: { stopOnFailure?: boolean } = {}): Promise<[ActorSystem, ActorSystem]> {
      const [a, b] = await transport.startNodes(
        2,
        options.stopOnFailure ? { supervision: { decide: () => 'stop' } } : {},
      )
      for (const system of [a!, b!]) system.expose({ counter: Counter, Host })
      return [a!, b!]
    }

    /** A portal on node a to a host actor on node b, reached once. */
    async function portalPair() {
      const [a, b] = await pair()
      const host = a.spawn(Host, { on: b.node, name: 'host' })
      expect(await host.ask({ type: 'ping' })).toBe('pong')
      return { a, b, portal: portalOf(a, host) }
    }

    describe('actors', () => {
      it('spawns on another node and tells and asks there, in order', async () => {
        const [a, b] = await pair()
        const counter = a.spawn(Counter, { on: b.node, name: 'c1' })
        expect(counter.address).toBe(`troupe://${b.node}/user/c1`)
        for (let i = 1; i <= 100; i++) counter.tell({ type: 'inc', by: i })
        expect(await counter.ask({ type: 'get' })).toBe(5050)
        expect(b.actorAt('/user/c1')).toBeDefined()
      })

      it('refs inside messages are usable at once, both ways', async () => {
        const [a, b] = await pair()
        const replies = createTestProbe<{ from: Ref<CounterMsg>; n: number }>(a)
        const counter = a.spawn(Counter, { on: b.node })
        counter.tell({ type: 'inc', by: 7 })
        counter.tell({ type: 'echo-ref', ref: replies.ref })
        const reply = await replies.expectMessage()
        expect(reply.n).toBe(7)
        expect(reply.from.equals(counter)).toBe(true)
        reply.from.tell({ type: 'inc', by: 1 })
        expect(await reply.from.ask({ type: 'get' })).toBe(8)
      })

      it("an ask that fails remotely rejects with the receiver's error, rebuilt", async () => {
        const [a, b] = await pair()
        const counter = a.spawn(Counter, { on: b.node })
        const error = await counter.ask({ type: 'crash' }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(RangeError)
        expect((error as Error).message).toBe('counter crashed')
      })

      it('refuses to spawn what the target does not expose', async () => {
        const [a, b] = await pair()
        const Secret = defineActor<string>({ receive: () => undefined })
        expect(() => a.spawn(Secret, { on: b.node })).toThrow(/expose/)
        a.expose({ secret: Secret })
        const ref = a.spawn(Secret, { on: b.node })
        const t = await a.watch(ref)
        expect(t.reason).toBe('failed')
        expect(String(t.error)).toMatch(/does not expose 'secret'/)
      })

      it('watch across nodes delivers Terminated once, with the reason', async () => {
        const [a, b] = await pair()
        const counter = a.spawn(Counter, { on: b.node })
        expect(await counter.ask({ type: 'get' })).toBe(0)
        const watcher = createTestProbe(a)
        const terminated = watcher.expectTerminated(counter)
        const stopped = a.watch(counter)
        await a.stop(counter)
        expect((await stopped).reason).toBe('stopped')
        expect((await terminated).reason).toBe('stopped')
        // Once: a round trip later, nothing more has come.
        expect(await a.spawn(Counter, { on: b.node }).ask({ type: 'get' })).toBe(0)
        await watcher.expectNoMessage(50)
      })

      it('links across nodes: a remote failure fails the local linked actor', async () => {
        const [a, b] = await pair({ stopOnFailure: true })
        const remote = a.spawn(Counter, { on: b.node })
        expect(await remote.ask({ type: 'get' })).toBe(0)
        const Linker = defineActor<'link' | 'ping'>({
          receive: (_s, m, ctx) => {
            if (m === 'link') ctx.link(remote)
            ctx.reply(m)
          },
        })
        const local = a.spawn(Linker)
        await local.ask('link')
        const failed = new Promise<unknown>((resolve) =>
          a.inspect((e) => {
            if (e.type === 'failed' && e.ref.equals(local)) resolve(e.error)
          }),
        )
        remote.tell({ type: 'crash' })
        expect(await failed).toBeInstanceOf(LinkedActorFailedError)
      })

      it('a child cannot be spawned on another node: the error says how to start one there', async () => {
        const [a, b] = await pair()
        const Parent = defineActor<'spawn'>({
          receive: (_s, _m, ctx) => {
            ctx.spawn(Counter, { on: b.node })
          },
        })
        const parent = a.spawn(Parent)
        await expect(parent.ask('spawn')).rejects.toThrow(/system\.spawn\(definition, \{ on \}\)/)
      })
    })

    describe('portal.run', () => {
      it('runs an exposed function on the actor node and resolves with its result', async () => {
        const { b, portal } = await portalPair()
        expect(portal.address).toBe(`troupe://${b.node}/user/host`)
        expect(await portal.run(lines.divide, [6, 3])).toBe(2)
        const results = await Promise.all(['x', 'y'].map((name) => portal.run(lines.sayHello, [name])))
        expect(results).toEqual(['Hello, x!', 'Hello, y!'])
      })

      it('names the actor with currentActor() while the function runs', async () => {
        const { b, portal } = await portalPair()
        const where = await portal.run(lines.hi)
        expect(where.actor).toBe(`troupe://${b.node}/user/host`)
        expect(where.name).toBe('host')
        expect(currentActor()).toBeUndefined()
      })

      it('rejects with RemoteActorError whose cause is the original error rebuilt', async () => {
        const { b, portal } = await portalPair()
        const error = await portal.run(lines.divide, [1, 0]).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(RemoteActorError)
        const remote = error as RemoteActorError
        expect(remote.cause).toBeInstanceOf(RangeError)
        expect((remote.cause as Error).message).toBe('division by zero')
        expect(remote.remoteName).toBe('RangeError')
        expect(remote.remoteStack).toBe('RangeError: division by zero')
        expect(remote.actor).toBe(`troupe://${b.node}/user/host`)
        const late = await portal.run(lines.failLater).catch((e: unknown) => e)
        expect((late as RemoteActorError).cause).toBeInstanceOf(RangeError)
      })
    })

    describe('portal.stream', () => {
      it('streams 1000 items in order', async () => {
        const { portal } = await portalPair()
        const items: number[] = []
        for await (const i of portal.stream(streams.numbers, [1000])) items.push(i)
        expect(items).toEqual(Array.from({ length: 1000 }, (_, i) => i))
        expect(probe.finallies).toBe(1)
      })

      it('never lets the generator run more than a window ahead of a slow consumer', async () => {
        const { a, portal } = await portalPair()
        const window = 8
        const narrow = portalOf(a, portal, { window })
        let consumed = 0
        let furthestAhead = 0
        for await (const i of narrow.stream(streams.numbers, [200])) {
          consumed++
          expect(i).toBe(consumed - 1)
          furthestAhead = Math.max(furthestAhead, probe.yielded - consumed)
          expect(probe.yielded).toBeLessThanOrEqual(consumed + window)
          // A slow consumer: the producer gets many turns of the event loop to run ahead, if it could.
          if (consumed % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2))
          else await new Promise((resolve) => setImmediate(resolve))
        }
        expect(consumed).toBe(200)
        expect(furthestAhead).toBeGreaterThan(window / 2)
      })

      it('cancels the remote generator on break: its finally runs and it yields no more', async () => {
        const { portal } = await portalPair()
        const finished = streamEvent('finally')
        const items: number[] = []
        for await (const i of portal.stream(streams.numbers, [Number.POSITIVE_INFINITY])) {
          items.push(i)
          if (items.length === 3) break
        }
        expect(items).toEqual([0, 1, 2])
        await finished
        expect(probe.finallies).toBe(1)
        const yielded = probe.yielded
        expect(yielded).toBeLessThanOrEqual(3 + DEFAULT_STREAM_WINDOW)
        expect(await portal.ask({ type: 'ping' })).toBe('pong')
        expect(probe.yielded).toBe(yielded)
      })

      it('ends the loop with RemoteActorError when the generator throws', async () => {
        const { portal } = await portalPair()
        const items: number[] = []
        const error = await (async () => {
          for await (const i of portal.stream(streams.breaksAfter, [5])) items.push(i)
        })().catch((e: unknown) => e)
        expect(items).toEqual([0, 1, 2, 3, 4])
        expect(error).toBeInstanceOf(RemoteActorError)
        expect((error as RemoteActorError).remoteMessage).toBe('the stream broke after 5 items')
      })
    })

    describe('portal.open', () => {
      it('echoes both ways, then the callee returns once the caller closes', async () => {
        const { portal } = await portalPair()
        const ctx = await portal.open(contexts.echo, ['echo: '])
        expect(ctx.first).toBe('ready')
        const replies: string[] = []
        for (const word of ['a', 'b', 'c']) {
          await ctx.send(word)
          const reply = await ctx.next()
          if (reply.done !== true) replies.push(reply.value)
        }
        expect(replies).toEqual(['echo: a', 'echo: b', 'echo: c'])
        await ctx.close()
        expect(await ctx.result()).toBe('done after 3')
      })

      it('flows a thousand values each way through a window of 4', async () => {
        const { a, portal } = await portalPair()
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
    })

    describe('cancellation', () => {
      it('a cancel scope aborts the remote call signal, which is also its ambient signal', async () => {
        const { portal } = await portalPair()
        const started = streamEvent('started')
        const aborted = streamEvent('aborted')
        const result = openCancelScope(async (scope) => {
          const call = portal.run(streams.awaitCancel)
          await started
          scope.cancel('changed my mind')
          return call
        })
        await expect(result).rejects.toBeInstanceOf(CancelledError)
        await aborted
        expect(probe.aborts).toHaveLength(1)
        expect(probe.aborts[0]!.ambientAborted).toBe(true)
      })

      it('moveOnAfter over an infinite stream cancels it', async () => {
        const { portal } = await portalPair()
        const finished = streamEvent('finally')
        let count = 0
        const result = await moveOnAfter(200, async () => {
          for await (const item of portal.stream(streams.forever)) {
            count++
            expect(item.actor).toBe(portal.address)
          }
          return 'never'
        })
        expect(result).toBeUndefined()
        expect(count).toBeGreaterThan(0)
        await finished
      })

      it('cancelling an open context aborts the callee and runs its finally', async () => {
        const { portal } = await portalPair()
        const ctx = await portal.open(contexts.whoAmI)
        const aborted = contextEvent('aborted')
        const finished = contextEvent('finally')
        ctx.cancel()
        expect(await aborted).toBe(true)
        await finished
        await expect(ctx.result()).rejects.toBeInstanceOf(CancelledError)
      })
    })
  })
})
