import {
  type ChildInfo,
  type ChildSpec,
  defineActor,
  InvalidOptionError,
  NameTakenError,
  type Ref,
  RestartIntensityError,
  type SupervisorSpec,
  supervisor,
} from 'troupe'
import { createTestProbe, nextEvent, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type WorkerMsg = 'crash' | 'quit' | 'get'

/** Tells the probe each time it starts; counts its starts in the shared map. */
const Worker = defineActor<WorkerMsg, number, { probe: Ref<string>; label: string }>({
  init: ({ probe, label }) => {
    probe.tell(label)
    return 0
  },
  receive: (n, m, ctx) => {
    if (m === 'crash') throw new Error(`${ctx.self.name} crashed`)
    if (m === 'quit') ctx.stop()
    else ctx.reply(n)
    return n
  },
})

describe('supervisor()', () => {
  it('starts its children in order and answers which-children', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const sup = system.spawn(
        supervisor({
          children: ['db', 'cache', 'api'].map((name) => ({
            name,
            behavior: Worker,
            props: { probe: probe.ref, label: name },
          })),
        }),
        { name: 'app' },
      )
      expect(await probe.receiveMessages(3)).toEqual(['db', 'cache', 'api'])
      const children = await sup.ask<ChildInfo[]>({ type: 'which-children' })
      expect(children.map((c) => c.name)).toEqual(['db', 'cache', 'api'])
      expect(children[0]?.ref.path).toBe('/user/app/db')
      expect(system.localActor('cache')?.equals(children[1]!.ref)).toBe(true)
    })
  })

  it('one-for-all restarts every child when one crashes', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      system.spawn(
        supervisor({
          strategy: 'one-for-all',
          children: ['db', 'cache', 'api'].map((name) => ({
            name,
            behavior: Worker,
            props: { probe: probe.ref, label: name },
          })),
        }),
      )
      await probe.receiveMessages(3)
      system.localActor<WorkerMsg>('cache')!.tell('crash')
      expect((await probe.receiveMessages(3)).sort()).toEqual(['api', 'cache', 'db'])
      await probe.expectNoMessage(20)
    })
  })

  it('restart types: permanent restarts after a normal exit, transient does not, temporary never restarts', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const child = (name: string, restart: 'permanent' | 'transient' | 'temporary') => ({
        name,
        behavior: Worker,
        props: { probe: probe.ref, label: name },
        restart,
      })
      const sup = system.spawn(
        supervisor({
          children: [child('perm', 'permanent'), child('trans', 'transient'), child('temp', 'temporary')],
        }),
      )
      await probe.receiveMessages(3)

      system.localActor<WorkerMsg>('perm')!.tell('quit')
      expect(await probe.expectMessage()).toBe('perm')

      const trans = system.localActor<WorkerMsg>('trans')!
      trans.tell('crash')
      expect(await probe.expectMessage()).toBe('trans')
      trans.tell('quit')
      await system.watch(trans)

      const temp = system.localActor<WorkerMsg>('temp')!
      temp.tell('crash')
      expect((await system.watch(temp)).reason).toBe('failed')
      await probe.expectNoMessage(20)
      const names = (await sup.ask<ChildInfo[]>({ type: 'which-children' })).map((c) => c.name)
      expect(names).toEqual(['perm'])
    })
  })

  it('fails past its intensity, and its own supervisor decides', async () => {
    await withTestSystem(
      async (system) => {
        const probe = createTestProbe<string>(system)
        const sup = system.spawn(
          supervisor({
            intensity: 1,
            periodMs: 10_000,
            children: [{ name: 'w', behavior: Worker, props: { probe: probe.ref, label: 'w' } }],
          }),
        )
        await probe.expectMessage()
        const down = system.watch(sup)
        const w = system.localActor<WorkerMsg>('w')!
        w.tell('crash')
        await probe.expectMessage()
        w.tell('crash')
        const t = await down
        expect(t.error).toBeInstanceOf(RestartIntensityError)
      },
      { supervision: { decide: () => 'stop' } },
    )
  })

  it('start-child and terminate-child', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const sup = system.spawn(supervisor({ children: [] }))
      const ref = await sup.ask<Ref>({
        type: 'start-child',
        spec: { name: 'late', behavior: Worker, props: { probe: probe.ref, label: 'late' } },
      })
      expect(await probe.expectMessage()).toBe('late')
      const gone = nextEvent(system, 'stopped', (e) => e.ref.equals(ref))
      expect(await sup.ask({ type: 'terminate-child', name: 'late' })).toBe(true)
      await gone
      await probe.expectNoMessage(20)
    })
  })
})

describe('supervisor() restart order', () => {
  it('one-for-all stops the children in reverse order, then starts them all in order', async () => {
    await withTestSystem(async (system) => {
      const log: string[] = []
      let releaseDb!: () => void
      const dbClosed = new Promise<void>((r) => {
        releaseDb = r
      })
      let cacheStopped!: () => void
      const cacheDown = new Promise<void>((r) => {
        cacheStopped = r
      })
      const Child = (name: string) =>
        defineActor<'crash'>({
          started: () => {
            log.push(`start ${name}`)
          },
          stopped: async (_s, _ctx, reason) => {
            // db closes slowly: nothing may start again before it has
            if (name === 'db' && reason === 'restart') await dbClosed
            log.push(`stop ${name}`)
            if (name === 'cache') cacheStopped()
          },
          receive: () => {
            throw new Error('boom')
          },
        })
      system.spawn(
        supervisor({
          strategy: 'one-for-all',
          children: ['db', 'cache', 'api'].map((name) => ({ name, behavior: Child(name) })),
        }),
      )
      const apiRestarted = nextEvent(system, 'restarted', (e) => e.ref.name === 'api')
      log.length = 0
      system.localActor<'crash'>('cache')!.tell('crash')
      await cacheDown
      expect(log).toEqual(['stop api', 'stop cache'])
      releaseDb()
      await apiRestarted
      expect(log).toEqual(['stop api', 'stop cache', 'stop db', 'start db', 'start cache', 'start api'])
    })
  })
})

/** What `supervisor(spec)` threw, or `undefined`. */
function refusal(spec: unknown): unknown {
  try {
    supervisor(spec as SupervisorSpec)
    return undefined
  } catch (error) {
    return error
  }
}

describe('supervisor() refuses a bad spec at once', () => {
  const Idle = defineActor<string>({ receive: (_s, _m, ctx) => ctx.unhandled() })
  const child = (fields: Record<string, unknown>) => ({ name: 'cache', behavior: Idle, ...fields })

  it.each([
    ['a name that is no actor name', child({ name: 'a b' }), 'children[1].name', /"a b"/],
    ['no behavior', child({ behavior: undefined }), 'children[1].behavior', /child 'cache'/],
    ['a behavior that is none', child({ behavior: {} }), 'children[1].behavior', /child 'cache'/],
    [
      'a behavior with a bad supervision option',
      child({
        behavior: defineActor({ receive: () => {}, supervision: { strategy: 'all' as 'one-for-all' } }),
      }),
      'children[1].behavior.supervision.strategy',
      /child 'cache'.*got all/,
    ],
    [
      'a bad restart type',
      child({ restart: 'sometimes' }),
      'children[1].restart',
      /child 'cache'.*sometimes/,
    ],
    ['a bad mailbox', child({ mailbox: { capacity: 0 } }), 'children[1].mailbox.capacity', /child 'cache'/],
    ['a bad kind of child node', child({ in: 'fiber' }), 'children[1].in', /child 'cache'.*fiber/],
    ['no modules for a child node', child({ in: 'process' }), 'children[1].modules', /child 'cache'/],
    [
      'modules that are not file URLs',
      child({ in: 'thread', modules: ['./cache.ts'] }),
      'children[1].modules',
      /child 'cache'.*\.\/cache\.ts/,
    ],
    ['a name two children share', child({ name: 'db' }), 'children[1].name', /two children are named 'db'/],
  ])('%s', (_what, second, option, message) => {
    const error = refusal({ children: [{ name: 'db', behavior: Idle }, second] })
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe(option)
    expect((error as Error).message).toMatch(message)
  })

  it.each([
    ['strategy', { strategy: 'all-for-one' }, 'strategy'],
    ['intensity', { intensity: -1 }, 'intensity'],
    ['period', { periodMs: 'soon' }, 'periodMs'],
    ['backoff', { backoff: { minMs: 10, maxMs: 100, factor: 0.5 } }, 'backoff.factor'],
    ['children', { children: 'db' }, 'children'],
  ])('a bad %s, under the name the spec gives it', (_what, fields, option) => {
    const error = refusal({ children: [], ...fields })
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe(option)
  })

  it('start-child with a bad spec, or a name in use, rejects the ask and the supervisor goes on', async () => {
    await withTestSystem(async (system) => {
      const failed = nextEvent(system, 'failed', () => true, { timeout: 200 })
      const sup = system.spawn(supervisor({ children: [{ name: 'db', behavior: Idle }] }))
      const bad = sup.ask({ type: 'start-child', spec: { name: 'cache', behavior: {} } as ChildSpec })
      await expect(bad).rejects.toThrow(InvalidOptionError)
      await expect(bad).rejects.toThrow(/spec\.behavior/)
      const taken = sup.ask({ type: 'start-child', spec: { name: 'db', behavior: Idle } })
      await expect(taken).rejects.toBeInstanceOf(NameTakenError)
      const children = await sup.ask<ChildInfo[]>({ type: 'which-children' })
      expect(children.map((c) => c.name)).toEqual(['db'])
      await expect(failed).rejects.toThrow(/no 'failed' event/)
    })
  })
})
