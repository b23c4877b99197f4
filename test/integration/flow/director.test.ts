import { failAfter, TimeoutError } from 'troupe'
import {
  ComponentStartError,
  createEvent,
  defineComponent,
  director,
  type FlowEvent,
  GraphError,
  Route,
  Ticker,
  Transform,
} from 'troupe/flow'
import { describe, expect, it } from 'vitest'
import { signal, testSystem } from './support.ts'

/** A sink that records every event it receives, and resolves `until` once it has `count`. */
function collector(count = 1) {
  const events: FlowEvent[] = []
  const done = signal<FlowEvent[]>()
  const component = defineComponent({
    type: 'Collector',
    receive(event) {
      events.push(event)
      if (events.length === count) done.resolve(events)
    },
  })
  return { component, events, until: () => failAfter(5000, () => done.promise) }
}

/** A source the test drives: `send(data)` emits an event and resolves once it has room downstream. */
function feeder() {
  let emit: ((event: FlowEvent) => Promise<void>) | undefined
  const component = defineComponent({
    type: 'Feeder',
    source: true,
    start(ctx) {
      emit = (event) => ctx.emit(event)
    },
  })
  return { component, send: (data: unknown, id?: string) => emit!(createEvent(data, {}, id)) }
}

describe('director', () => {
  it('runs a pipeline: each stage transforms the data, the id follows the event', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const sink = collector()
    const feed = flow.add('feed', source.component)
    const double = flow.add(
      'double',
      Transform((n: number) => n * 2),
    )
    const label = flow.add(
      'label',
      Transform(async (n: number) => `n=${n}`),
    )
    flow.connect(feed, double).connect(double, label).connect(label, flow.add('sink', sink.component))
    await flow.start()
    await source.send(21, 'event-1')
    const [event] = await sink.until()
    expect(event).toMatchObject({ id: 'event-1', data: 'n=42' })
    expect(Object.isFrozen(event)).toBe(true)
    await flow.stop()
  })

  it('fans out the same frozen event to every connected inbox, and funnels many into one', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const a = feeder()
    const b = feeder()
    const left = collector(2)
    const right = collector(2)
    const both = collector(2)
    const fa = flow.add('a', a.component)
    const fb = flow.add('b', b.component)
    flow.connect(fa, [flow.add('left', left.component), flow.add('right', right.component)])
    const funnel = flow.add('both', both.component)
    flow.connect(fa, funnel).connect(fb, funnel)
    await flow.start()
    await a.send({ big: 'x'.repeat(1000) })
    await a.send('second')
    await b.send('from b')
    const [l, r] = await Promise.all([left.until(), right.until()])
    expect(l[0]).toBe(r[0])
    expect((await both.until()).map((e) => e.data)).toContain('from b')
    await flow.stop()
  })

  it('routes by predicate, unmatched events on outbox', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const bigs = collector(1)
    const rest = collector(1)
    const route = flow.add('route', Route({ big: (e) => (e.data as number) > 10 }))
    flow.connect(flow.add('feed', source.component), route)
    flow.connect(route.out('big'), flow.add('bigs', bigs.component))
    flow.connect(route, flow.add('rest', rest.component))
    await flow.start()
    await source.send(3)
    await source.send(30)
    expect((await bigs.until())[0]?.data).toBe(30)
    expect((await rest.until())[0]?.data).toBe(3)
    await flow.stop()
  })

  it('sends every failure to the error route with what failed, and keeps serving', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const errors = collector(3)
    const ok = collector(1)
    const feed = flow.add('feed', source.component)
    const picky = flow.add(
      'picky',
      Transform(async (n: number) => {
        if (n === 1) throw new RangeError('one is not allowed')
        if (n === 2) return Promise.reject(new Error('two rejected'))
        if (n === 3) return new Promise(() => {})
        return n
      }),
      { timeoutMs: 100 },
    )
    flow.connect(feed, picky).connect(picky, flow.add('ok', ok.component))
    flow.connectError(picky, flow.add('errors', errors.component))
    await flow.start()
    for (const n of [1, 2, 3, 4]) await source.send(n, `e${n}`)
    const failed = await errors.until()
    expect(failed.map((e) => [e.id, e.error?.name, e.error?.component])).toEqual([
      ['e1', 'RangeError', 'picky'],
      ['e2', 'Error', 'picky'],
      ['e3', TimeoutError.name, 'picky'],
    ])
    expect(failed[0]?.error?.message).toBe('one is not allowed')
    expect((await ok.until())[0]?.data).toBe(4)
    await flow.stop()
  })

  it('logs a failure that has no error route, naming the component and the event', async () => {
    const { system, log } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const boom = flow.add(
      'boom',
      Transform(() => {
        throw new Error('always fails')
      }),
    )
    flow.connect(flow.add('feed', source.component), boom)
    await flow.start()
    await source.send(1, 'lost-1')
    const line = await log.waitFor(/component 'boom' failed on event lost-1: Error: always fails/)
    expect(line.level).toBe(50)
    await flow.stop()
  })

  it('a component that fails to start stops the start, with its name and cause', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    let stopped = 0
    flow.add('fine', defineComponent({ type: 'Fine', stop: () => void stopped++ }))
    flow.add(
      'broken',
      defineComponent({ type: 'Broken', source: true, start: () => Promise.reject(new Error('no port')) }),
    )
    const error = await flow.start().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ComponentStartError)
    expect((error as Error).message).toBe("component 'broken' failed to start: no port")
    expect(stopped).toBe(1)
  })

  it('refuses a graph it cannot run before anything starts', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const a = flow.add(
      'a',
      Transform((x) => x),
    )
    expect(() => flow.connect(a, 'nowhere')).toThrow(GraphError)
    expect(() => flow.connect(a.out('nope'), a)).toThrow(/component 'a' \(Transform\) has no outbox 'nope'/)
    expect(() =>
      flow.add(
        'a',
        Transform((x) => x),
      ),
    ).toThrow(/named 'a' is in the graph already/)
    const b = flow.add(
      'b',
      Transform((x) => x),
    )
    flow.connect(a, b).connect(b, a)
    await expect(flow.start()).rejects.toThrow(/'a', 'b' form a cycle with no exit/)
  })

  it('bounds what is in flight with a slow component: the feeder waits for room', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const release = signal()
    let handled = 0
    const slow = defineComponent({
      type: 'Slow',
      async receive() {
        await release.promise
        handled++
      },
    })
    flow.connect(flow.add('feed', source.component), flow.add('slow', slow, { capacity: 4 }))
    await flow.start()
    let sent = 0
    const sending = (async () => {
      for (let i = 0; i < 50; i++) {
        await source.send(i)
        sent++
      }
    })()
    // The slow component holds one event, its inbox four: the feeder waits on the sixth.
    await failAfter(5000, async () => {
      while (sent < 5) await new Promise((resolve) => setImmediate(resolve))
    })
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(sent).toBeLessThanOrEqual(6)
    expect(await flow.inFlight()).toBeLessThanOrEqual(6)
    release.resolve()
    await failAfter(5000, () => sending)
    await flow.stop()
    expect(handled).toBe(50)
  })

  // Senders in the thread queue an event at once while the inbox has room and wait once it has
  // none: a burst emitted without waiting (as Http emits its requests) must lose nothing and keep
  // each sender's order, through inboxes far smaller than the burst.
  it('a burst emitted without waiting arrives whole and in order through small inboxes', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const source = feeder()
    const count = 500
    const sink = collector(count)
    const feed = flow.add('feed', source.component)
    const double = flow.add(
      'double',
      Transform((n: number) => n * 2),
      { capacity: 3 },
    )
    const slowly = flow.add(
      'slowly',
      Transform(async (n: number) => {
        if (n % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
        return n + 1
      }),
      { capacity: 2 },
    )
    flow.connect(feed, double).connect(double, slowly).connect(slowly, flow.add('sink', sink.component))
    await flow.start()
    const sends = Array.from({ length: count }, (_, i) => source.send(i))
    await failAfter(5000, () => Promise.all(sends))
    const events = await sink.until()
    expect(events.map((e) => e.data)).toEqual(Array.from({ length: count }, (_, i) => i * 2 + 1))
    await flow.stop()
    expect(await flow.inFlight()).toBe(0)
  })

  it('stop() lets the events in flight drain before the components stop', async () => {
    const { system } = await testSystem()
    const flow = director(system)
    const sink = collector(3)
    const ticker = flow.add('ticker', Ticker({ intervalMs: 5, count: 3 }))
    const slow = flow.add(
      'slow',
      Transform(async (n: number) => {
        await new Promise((resolve) => setTimeout(resolve, 30))
        return n
      }),
    )
    flow.connect(ticker, slow).connect(slow, flow.add('sink', sink.component))
    await flow.start()
    await failAfter(5000, async () => {
      while ((await flow.inFlight()) === 0) await new Promise((resolve) => setImmediate(resolve))
    })
    await flow.stop()
    expect(await flow.inFlight()).toBe(0)
    expect(sink.events.length).toBeGreaterThan(0)
    expect(sink.events.every((e) => typeof e.data === 'number')).toBe(true)
  })
})
