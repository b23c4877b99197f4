import { once } from 'node:events'
import {
  type ActorSystem,
  MessageTooLargeError,
  moveOnAfter,
  NodeDownError,
  portalOf,
  RemoteActorError,
} from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { large } from '../../fixtures/large-item-functions.ts'
import { Host } from '../../fixtures/portal-functions.ts'
import { probe, streams } from '../../fixtures/stream-functions.ts'
import { startInProcessNode } from '../../support/in-process-node.ts'

const systems: ActorSystem[] = []

async function node(network: InProcessNetwork, name: string): Promise<ActorSystem> {
  const system = await startInProcessNode(network, name)
  system.expose({ Host })
  systems.push(system)
  return system
}

/** Resolves when `event` is emitted, or rejects after `ms`. */
function event(name: 'finally' | 'started' | 'aborted', ms = 2_000): Promise<unknown> {
  return once(probe.events, name, { signal: AbortSignal.timeout(ms) })
}

beforeEach(() => probe.reset())

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

async function pair() {
  const net = new InProcessNetwork()
  const a = await node(net, 'a')
  const b = await node(net, 'b')
  const host = a.spawn(Host, { on: b.node, name: 'host' })
  expect(await host.ask({ type: 'ping' })).toBe('pong')
  return { net, a, b, portal: portalOf(a, host) }
}

describe('portal streams over the in-process network', () => {
  it("keeps a call's own window over the portal's", async () => {
    const { a, portal } = await pair()
    const wide = portalOf(a, portal, { window: 1_000 })
    let consumed = 0
    for await (const _ of wide.stream(streams.numbers, [100], { window: 4 })) {
      consumed++
      expect(probe.yielded).toBeLessThanOrEqual(consumed + 4)
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(consumed).toBe(100)
  })

  it('refuses to stream a function that returns no async iterable', async () => {
    const { portal } = await pair()
    const error = await (async () => {
      for await (const _ of portal.stream(streams.notAStream as never)) expect.fail('no items')
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(TypeError)
  })

  it('is cancelled by an explicit signal, rejecting with its reason', async () => {
    const { a, portal } = await pair()
    const controller = new AbortController()
    const finished = event('finally')
    const error = await (async () => {
      for await (const item of portalOf(a, portal, { signal: controller.signal }).stream(streams.forever)) {
        if (item.i === 2) controller.abort(new Error('enough'))
      }
    })().catch((e: unknown) => e)
    expect((error as Error).message).toBe('enough')
    await finished
  })

  it("is cancelled by the call's own signal, over the portal's", async () => {
    const { a, portal } = await pair()
    const portalSignal = new AbortController()
    const callSignal = new AbortController()
    const finished = event('finally')
    const stream = portalOf(a, portal, { signal: portalSignal.signal }).stream(streams.forever, [], {
      signal: callSignal.signal,
    })
    const error = await (async () => {
      for await (const item of stream) if (item.i === 2) callSignal.abort(new Error('the call had enough'))
    })().catch((e: unknown) => e)
    expect((error as Error).message).toBe('the call had enough')
    expect(portalSignal.signal.aborted).toBe(false)
    await finished
  })

  it('ends the loop with NodeDownError when the node is cut off mid-stream', async () => {
    const { net, b, portal } = await pair()
    let count = 0
    const error = await (async () => {
      for await (const _ of portal.stream(streams.forever)) {
        if (++count === 3) net.partition(b.node)
      }
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NodeDownError)
    expect(count).toBeGreaterThanOrEqual(3)
  })

  it('streams from a local actor by running the generator here', async () => {
    const { a } = await pair()
    const local = portalOf(a, a.spawn(Host, { name: 'here' }))
    const items: number[] = []
    for await (const i of local.stream(streams.numbers, [10])) items.push(i)
    expect(items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])

    const finished = event('finally')
    for await (const i of local.stream(streams.numbers, [Number.POSITIVE_INFINITY])) if (i === 2) break
    await finished

    const forever = event('finally')
    expect(
      await moveOnAfter(50, async () => {
        for await (const item of local.stream(streams.forever)) expect(item.actor).toBe(local.address)
      }),
    ).toBeUndefined()
    await forever
  })
})

describe('cancelling a remote run', () => {
  it('is cancelled by an explicit signal option', async () => {
    const { a, portal } = await pair()
    const controller = new AbortController()
    const started = event('started')
    const aborted = event('aborted')
    const call = portalOf(a, portal, { signal: controller.signal }).run(streams.awaitCancel)
    await started
    controller.abort(new Error('stop'))
    await expect(call).rejects.toThrow('stop')
    await aborted
  })
})

describe('the stream envelopes', () => {
  it('are checked field by field', async () => {
    const { checkEnvelope } = await import('../../../src/wire/check-envelope.ts')
    const stream = {
      kind: 'open',
      id: 1,
      actor: '',
      module: 'm',
      name: 'n',
      args: [],
      mode: 'stream',
      window: 4,
    }
    expect(checkEnvelope(stream)).toBe(stream)
    expect(() => checkEnvelope({ ...stream, window: 0 })).toThrow(
      "envelope 'open' needs 'window' to be a positive integer",
    )
    expect(() => checkEnvelope({ ...stream, mode: 'pull' })).toThrow(
      "envelope 'open' needs 'mode' to be one of run, stream, context",
    )
    expect(checkEnvelope({ kind: 'items', id: 1, by: 'callee', values: [undefined, 2] }).kind).toBe('items')
    expect(() => checkEnvelope({ kind: 'credit', id: 1, by: 'caller', n: -1 })).toThrow("needs 'n'")
    expect(() => checkEnvelope({ kind: 'end', by: 'callee' })).toThrow("envelope 'end' lacks 'id'")
    expect(() => checkEnvelope({ kind: 'cancel', id: 'x' })).toThrow("envelope 'cancel' needs 'id'")
  })
})

describe('portal streams within a small frame limit', () => {
  it('cut a fast stream into frames within the limit; an item over it fails only its own stream', async () => {
    const net = new InProcessNetwork({ maxFrameBytes: 16 * 1024 })
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const portal = portalOf(a, a.spawn(Host, { on: b.node, name: 'host' }))
    expect(await portal.ask({ type: 'ping' })).toBe('pong')
    const lost = a.watch(portal).then(() => 'node-down')

    // 300 items of 1 KiB are pulled in one turn: 19 KiB and more would not fit one frame.
    let next = 0
    for await (const block of portal.stream(large.blocks, [300, 1024])) {
      if (block.i !== next || block.data.length !== 1024)
        expect.fail(`item ${block.i} came where ${next} was due`)
      next++
    }
    expect(next).toBe(300)

    const reporter = a.spawn(async (self) => {
      await self.receive(() => true)
    })
    const seen: number[] = []
    const error = await (async () => {
      for await (const block of portal.stream(large.blocksWithHuge, [20, 1024, 10, 32 * 1024, reporter]))
        seen.push(block.i)
    })().catch((e: unknown) => e)
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i))
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(MessageTooLargeError)
    expect((error as Error).message).toMatch(
      /a stream item cannot be sent: its frame would be \d+ bytes, over the limit of 16384 bytes/,
    )

    expect(await portal.ask({ type: 'ping' })).toBe('pong')
    expect(await Promise.race([lost, Promise.resolve('up')])).toBe('up')
  })

  it('splits a batch that outgrew its weight when encoded, keeping every item in order', async () => {
    const net = new InProcessNetwork({ maxFrameBytes: 16 * 1024 })
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const portal = portalOf(a, a.spawn(Host, { on: b.node, name: 'host' }))
    expect(await portal.ask({ type: 'ping' })).toBe('pong')
    const items: string[] = []
    // 40 items weighed at a few bytes each, one batch, that encode to 4 KiB each: 160 KiB.
    for await (const item of portal.stream(large.growing, [40, 4 * 1024])) items.push(item)
    expect(items).toEqual(Array.from({ length: 40 }, (_, i) => String(i % 10).repeat(4 * 1024)))
    expect(await portal.ask({ type: 'ping' })).toBe('pong')
  })
})
