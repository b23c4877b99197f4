import { type ChildInfo, defineActor, type Ref, RestartIntensityError, supervisor } from 'troupe'
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
