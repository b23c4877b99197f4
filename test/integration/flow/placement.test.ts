import { threadId } from 'node:worker_threads'
import { failAfter, InvalidOptionError, start } from 'troupe'
import {
  ComponentStartError,
  createEvent,
  defineComponent,
  director,
  type FlowEvent,
  Transform,
} from 'troupe/flow'
import { freePort } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { parts, type Where } from '../../fixtures/flow/parts.ts'
import { slowParts } from '../../fixtures/flow/slow-parts.ts'
import { natsServerVersion, startNatsServer } from '../../support/nats-server.ts'
import { startProcess } from '../../support/node-process.ts'
import { onCleanup, signal, testSystem } from './support.ts'

const cookie = 'flow-placement-test-cookie'

/** A sink that records every event, and resolves `until()` once it has `count`. */
function collector(count: number) {
  const events: FlowEvent[] = []
  const done = signal<FlowEvent[]>()
  const component = defineComponent({
    type: 'Collector',
    receive(event) {
      events.push(event)
      if (events.length === count) done.resolve(events)
    },
  })
  return { component, events, until: () => failAfter(20_000, () => done.promise) }
}

/** A source the test drives. */
function feeder() {
  let emit: ((event: FlowEvent) => Promise<void>) | undefined
  const component = defineComponent({
    type: 'Feeder',
    source: true,
    start(ctx) {
      emit = (event) => ctx.emit(event)
    },
  })
  return { component, send: (data: unknown) => emit!(createEvent(data)) }
}

/** feed -> square (placed) -> sink, and oddOnly's errors to errors; `n` events through it. */
async function runSquares(
  flow: ReturnType<typeof director>,
  placement: { in?: 'thread' | 'process'; on?: string },
) {
  const source = feeder()
  const sink = collector(3)
  const errors = collector(1)
  const feed = flow.add('feed', source.component)
  const odd = flow.add('odd', parts.oddOnly, placement)
  const square = flow.add('square', parts.square, placement)
  flow.connect(feed, odd).connect(odd, square).connect(square, flow.add('sink', sink.component))
  flow.connectError(odd, flow.add('errors', errors.component))
  await failAfter(30_000, () => flow.start())
  for (const n of [1, 2, 3, 5]) await source.send(n)
  const events = await sink.until()
  const [failed] = await errors.until()
  return { squares: events.map((e) => e.data as Where), failed: failed! }
}

describe('components placed in other threads, processes and nodes', () => {
  it("{ in: 'process' }: the same graph code, the component runs in a child process, its errors reach the route here", async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const { squares, failed } = await runSquares(flow, { in: 'process' })
    expect(squares.map((w) => w.n)).toEqual([1, 9, 25])
    expect(new Set(squares.map((w) => w.pid)).size).toBe(1)
    expect(squares[0]!.pid).not.toBe(process.pid)
    expect(failed.error).toMatchObject({ name: 'RangeError', message: '2 is even', component: 'odd' })
    expect(await flow.inFlight()).toBe(0)
    await failAfter(20_000, () => flow.stop())
  }, 60_000)

  it("{ in: 'thread' }: the component runs in a worker thread", async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const { squares } = await runSquares(flow, { in: 'thread' })
    expect(squares.map((w) => w.n)).toEqual([1, 9, 25])
    expect(squares.every((w) => w.pid === process.pid && w.thread !== threadId)).toBe(true)
    await failAfter(20_000, () => flow.stop())
  }, 60_000)

  it('stop() drains events held by a component in a child process before it stops', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const sink = collector(20)
    const feed = flow.add('feed', source.component)
    flow.connect(feed, flow.add('square', parts.square, { in: 'process' }))
    flow.connect('square', flow.add('sink', sink.component))
    await failAfter(30_000, () => flow.start())
    for (let n = 0; n < 20; n++) await source.send(n)
    await failAfter(20_000, () => flow.stop())
    expect(sink.events.map((e) => (e.data as Where).n)).toEqual(Array.from({ length: 20 }, (_, n) => n * n))
  }, 60_000)

  it('backpressure crosses the process: a slow component in a child bounds what is on its way to it', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const sink = collector(200)
    const capacity = 8
    flow.add('feed', source.component)
    flow.add('slow', slowParts.slow, { in: 'process', capacity })
    flow.connect('feed', 'slow').connect('slow', flow.add('sink', sink.component))
    await failAfter(30_000, () => flow.start())
    let most = 0
    for (let n = 0; n < 200; n++) {
      await source.send(n)
      most = Math.max(most, n + 1 - sink.events.length)
    }
    await sink.until()
    // Credits towards the child (8) and from it (8), and the one it handles: not the 200 sent.
    expect(most).toBeLessThanOrEqual(2 * capacity + 2)
    expect(sink.events.map((e) => e.data)).toEqual(Array.from({ length: 200 }, (_, n) => n))
    await failAfter(20_000, () => flow.stop())
  }, 60_000)

  it('kill -9 of the child process: the component starts again in a new one and the graph serves on', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const sink = collector(1)
    flow.add('feed', source.component)
    flow.add('square', parts.square, { in: 'process' })
    flow.connect('feed', 'square').connect('square', flow.add('sink', sink.component))
    await failAfter(30_000, () => flow.start())
    await source.send(2)
    const [first] = await sink.until()
    const victim = (first!.data as Where).pid
    const restarted = new Promise((resolve) => system.inspect((e) => e.type === 'restarted' && resolve(e)))
    process.kill(victim, 'SIGKILL')
    await failAfter(20_000, () => restarted)
    // Until the new child has its routes, an event may be lost (at most once): send until one is back.
    const again = await failAfter(20_000, async () => {
      for (;;) {
        const seen = sink.events.length
        await source.send(3)
        const deadline = performance.now() + 1000
        while (sink.events.length === seen && performance.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 10))
        const last = sink.events.at(-1)!.data as Where
        if (sink.events.length > seen) return last
      }
    })
    expect(again.n).toBe(9)
    expect(again.pid).not.toBe(victim)
    await failAfter(20_000, () => flow.stop({ drainTimeoutMs: 1000 }))
  }, 60_000)

  it('{ on: node } over TCP: a node in its own process runs the components', async () => {
    const host = startProcess([
      'test/fixtures/flow/component-host.ts',
      'tcp',
      `host@127.0.0.1:${await freePort()}`,
      cookie,
    ])
    onCleanup(() => host.kill())
    await host.waitFor('ready')
    const system = await start({ node: `dir@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
    onCleanup(() => system.shutdown())
    const hostNode = host.output().includes('ready') ? hostNodeOf(host.child.spawnargs) : ''
    const flow = director(system)
    const { squares, failed } = await runSquares(flow, { on: hostNode })
    expect(squares.map((w) => w.n)).toEqual([1, 9, 25])
    expect(squares[0]!.pid).toBe(host.child.pid)
    expect(failed.error?.message).toBe('2 is even')
    await failAfter(20_000, () => flow.stop())
  }, 60_000)

  it.skipIf(natsServerVersion() === undefined)(
    '{ on: node } over NATS',
    async () => {
      const nats = await startNatsServer()
      onCleanup(() => nats.stop())
      const host = startProcess([
        'test/fixtures/flow/component-host.ts',
        'nats',
        'host',
        nats.url,
        'place',
        cookie,
      ])
      onCleanup(() => host.kill())
      await host.waitFor('ready')
      const system = await start({
        node: 'dir',
        cookie,
        nats: { servers: [nats.url], prefix: 'place' },
        logLevel: 'silent',
      })
      onCleanup(() => system.shutdown())
      const flow = director(system)
      const { squares } = await runSquares(flow, { on: 'host' })
      expect(squares.map((w) => w.n)).toEqual([1, 9, 25])
      expect(squares[0]!.pid).toBe(host.child.pid)
      await failAfter(20_000, () => flow.stop())
    },
    60_000,
  )

  it('a component that no other side can make again is refused at add(), saying how to expose it', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const local = Transform((n: number) => n)
    expect(() => flow.add('local', local, { in: 'process' })).toThrow(InvalidOptionError)
    expect(() => flow.add('local', local, { in: 'process' })).toThrow(/exposeComponents\(import\.meta\.url/)
    expect(() => flow.add('both', parts.square, { in: 'thread', on: 'x@127.0.0.1:1' })).toThrow(
      /in or on, not both/,
    )
  })

  it('a node that does not host components: start() fails naming the component, and starts nothing', async () => {
    const plain = await start({ node: `plain@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
    onCleanup(() => plain.shutdown())
    const system = await start({ node: `dir@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
    onCleanup(() => system.shutdown())
    const flow = director(system)
    flow.add('square', parts.square, { on: plain.node })
    const failure = await failAfter(20_000, () => flow.start()).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ComponentStartError)
    expect(String((failure as Error).message)).toContain("'square'")
    expect(plain.registered()).toEqual([])
  }, 30_000)
})

/** The node name a host was started with (its argument after the transport). */
function hostNodeOf(args: readonly string[]): string {
  const at = args.indexOf('tcp')
  return args[at + 1]!
}
