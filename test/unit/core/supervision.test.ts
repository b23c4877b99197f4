import { type Directive, defineActor, type Ref, RestartIntensityError, type Strategy } from 'troupe'
import { createTestProbe, nextEvent, recordEvents, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type CounterMsg = 'inc' | 'get' | 'crash' | { crashAsync: true }

/** Counts messages; 'crash' throws. Tells the probe when it (re)starts. */
const Counter = defineActor<CounterMsg, number, { started?: Ref<string>; label?: string }>({
  init: (props) => {
    props?.started?.tell(`started ${props.label ?? ''}`.trim())
    return 0
  },
  receive: async (n, m, ctx) => {
    if (m === 'crash') throw new Error('crash requested')
    if (typeof m === 'object') {
      await Promise.resolve()
      throw new Error('async crash')
    }
    if (m === 'get') ctx.reply(n)
    return m === 'inc' ? n + 1 : n
  },
})

/** A parent with the given supervision that spawns named children and forwards messages to them. */
function parentWith(options: {
  strategy?: Strategy
  decide?: (e: unknown) => Directive
  maxRestarts?: number
  withinMs?: number
  backoff?: { minMs: number; maxMs: number }
}) {
  type State = { children: Map<string, Ref<CounterMsg>>; started: Ref<string> | undefined }
  return defineActor<{ to: string; message: CounterMsg } | { spawn: string }, State, Ref<string> | undefined>(
    {
      init: (started) => ({ children: new Map(), started }),
      receive: (state, m, ctx) => {
        if ('spawn' in m) {
          const props = state.started === undefined ? {} : { started: state.started, label: m.spawn }
          state.children.set(m.spawn, ctx.spawn(Counter, { name: m.spawn, props }))
          ctx.reply('ok')
        } else {
          state.children.get(m.to)?.tell(m.message, ctx.sender)
        }
        return state
      },
      supervision: options,
    },
  )
}

describe('supervision', () => {
  it('restarts a crashed actor with fresh state, keeps its mailbox, and does not redeliver the crashing message', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string | number>(system)
      const c = system.spawn(Counter, { props: { started: probe.ref as Ref<string> } })
      await probe.expectMessage((m) => m === 'started')
      c.tell('inc')
      c.tell('inc')
      c.tell('crash')
      c.tell('inc')
      await probe.expectMessage((m) => m === 'started')
      expect(await c.ask('get')).toBe(1)
    })
  })

  it('an async handler rejection fails the actor like a throw', async () => {
    await withTestSystem(async (system) => {
      const c = system.spawn(Counter)
      const restarted = nextEvent(system, 'restarted')
      c.tell('inc')
      c.tell({ crashAsync: true })
      const event = await restarted
      expect((event.error as Error).message).toBe('async crash')
      expect(await c.ask('get')).toBe(0)
    })
  })

  it('resume keeps the state; stop stops the child', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string | number>(system)
      const resumer = system.spawn(parentWith({ decide: () => 'resume' }))
      await resumer.ask({ spawn: 'r1' })
      resumer.tell({ to: 'r1', message: 'inc' }, probe.ref)
      resumer.tell({ to: 'r1', message: 'crash' }, probe.ref)
      resumer.tell({ to: 'r1', message: 'inc' }, probe.ref)
      resumer.tell({ to: 'r1', message: 'get' }, probe.ref)
      expect(await probe.expectMessage((m) => typeof m === 'number')).toBe(2)

      const stopper = system.spawn(parentWith({ decide: () => 'stop' }))
      await stopper.ask({ spawn: 's1' })
      const child = system.localActor('s1')!
      const terminated = system.watch(child)
      stopper.tell({ to: 's1', message: 'crash' })
      expect((await terminated).reason).toBe('failed')
      expect(system.isAlive(stopper)).toBe(true)
    })
  })

  it('escalate fails the parent, whose supervisor restarts it and with it its children', async () => {
    await withTestSystem(async (system) => {
      const parent = system.spawn(parentWith({ decide: () => 'escalate' }), { name: 'p' })
      await parent.ask({ spawn: 'e1' })
      const child = system.localActor<CounterMsg>('e1')!
      const childGone = system.watch(child)
      const restarted = nextEvent(system, 'restarted', (e) => e.ref.equals(parent))
      child.tell('crash')
      await restarted
      expect((await childGone).reason).toBe('stopped')
      expect(system.isAlive(parent)).toBe(true)
    })
  })

  it.each([
    ['one-for-one', ['a']],
    ['one-for-all', ['a', 'b', 'c']],
    ['rest-for-one', ['b', 'c']],
  ] as const)('%s restarts the right children', async (strategy, expected) => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const parent = system.spawn(parentWith({ strategy }), { props: probe.ref })
      for (const name of ['a', 'b', 'c']) {
        await parent.ask({ spawn: name })
        await probe.expectMessage((m) => m === `started ${name}`)
      }
      const crashing = strategy === 'rest-for-one' ? 'b' : 'a'
      parent.tell({ to: crashing, message: 'crash' })
      const restarts = await probe.receiveMessages(expected.length)
      expect(restarts.sort()).toEqual(expected.map((n) => `started ${n}`))
      await probe.expectNoMessage(20)
    })
  })

  it('past the restart intensity the supervisor fails with RestartIntensityError', async () => {
    await withTestSystem(async (system) => {
      const parent = system.spawn(parentWith({ maxRestarts: 2, withinMs: 10_000 }), { name: 'sup' })
      await parent.ask({ spawn: 'flaky' })
      const failed = nextEvent(system, 'failed', (e) => e.ref.equals(parent))
      const exceeded = nextEvent(system, 'intensity-exceeded')
      for (let i = 0; i < 3; i++) parent.tell({ to: 'flaky', message: 'crash' })
      const event = await failed
      expect(event.error).toBeInstanceOf(RestartIntensityError)
      expect((event.error as Error).cause).toBeInstanceOf(Error)
      expect((await exceeded).supervisor.equals(parent)).toBe(true)
    })
  })

  it('the system restarts a top-level actor 3 times within 5 s by default, then stops it and keeps running', async () => {
    await withTestSystem(async (system) => {
      const { events, stop } = recordEvents(system)
      const c = system.spawn(Counter)
      const terminated = system.watch(c)
      for (let i = 0; i < 4; i++) c.tell('crash')
      const t = await terminated
      stop()
      expect(t.reason).toBe('failed')
      expect(events.filter((e) => e.type === 'restarted')).toHaveLength(3)
      expect(events.some((e) => e.type === 'intensity-exceeded')).toBe(true)
      const other = system.spawn(Counter)
      other.tell('inc')
      expect(await other.ask('get')).toBe(1)
    })
  })

  it('restarts of a well-behaved actor spread over time do not exceed the intensity', async () => {
    await withTestSystem(
      async (system) => {
        const c = system.spawn(Counter)
        for (let i = 0; i < 5; i++) {
          const restarted = nextEvent(system, 'restarted')
          c.tell('crash')
          await restarted
          // withinMs is 1 ms: wait on a clock edge, not a fixed sleep
          const t0 = Date.now()
          while (Date.now() - t0 < 2) await Promise.resolve()
        }
        expect(system.isAlive(c)).toBe(true)
      },
      { supervision: { maxRestarts: 1, withinMs: 1 } },
    )
  })

  it('backoff delays restarts exponentially', async () => {
    await withTestSystem(
      async (system) => {
        const c = system.spawn(Counter)
        const delays: number[] = []
        for (let i = 0; i < 3; i++) {
          const restarted = nextEvent(system, 'restarted')
          const t0 = performance.now()
          c.tell('crash')
          await restarted
          delays.push(performance.now() - t0)
        }
        expect(delays[0]).toBeGreaterThanOrEqual(19)
        expect(delays[1]).toBeGreaterThanOrEqual(39)
        expect(delays[2]).toBeGreaterThanOrEqual(79)
      },
      { supervision: { maxRestarts: 10, backoff: { minMs: 20, maxMs: 1000 } } },
    )
  })

  it('a failure in init is supervised too', async () => {
    await withTestSystem(async (system) => {
      let attempts = 0
      const Fragile = defineActor<'get', number>({
        init: () => {
          attempts++
          if (attempts < 3) throw new Error(`init ${attempts}`)
          return attempts
        },
        receive: (n, _m, ctx) => {
          ctx.reply(n)
          return n
        },
      })
      const f = system.spawn(Fragile)
      expect(await f.ask('get')).toBe(3)
    })
  })
})
