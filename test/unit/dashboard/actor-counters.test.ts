import { CancelledError, defineActor, failAfter, type InspectionEvent } from 'troupe'
import { withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

// What the dashboard reads of the core: the tree, each actor's counters, and a restart on request.
const Counter = defineActor<'inc' | 'get' | 'spawn', number>({
  init: () => 0,
  receive(n, message, ctx) {
    if (message === 'spawn') ctx.spawn(Counter, { name: `child-${n}` })
    if (message === 'get') ctx.reply(n)
    return message === 'inc' ? n + 1 : n
  },
})

describe('the core API the dashboard reads', () => {
  it('walks the tree with childrenOf, in spawn order', async () => {
    await withTestSystem(async (system) => {
      const a = system.spawn(Counter, { name: 'a' })
      const b = system.spawn(Counter, { name: 'b' })
      a.tell('spawn')
      a.tell('inc')
      a.tell('spawn')
      await a.ask('get')
      expect(system.childrenOf().map((r) => r.path)).toEqual(['/user/a', '/user/b'])
      expect(system.childrenOf(a).map((r) => r.path)).toEqual(['/user/a/child-0', '/user/a/child-1'])
      expect(system.childrenOf(b)).toEqual([])
    })
  })

  it('counts queued and handled messages and restarts, and reads nothing of a stopped actor', async () => {
    await withTestSystem(async (system) => {
      const a = system.spawn(Counter, { name: 'a' })
      expect(system.actorCounters(a)).toEqual({ queued: 0, handled: 0, restarts: 0 })
      for (let i = 0; i < 5; i++) a.tell('inc')
      expect(system.actorCounters(a)).toMatchObject({ queued: 5, handled: 0 })
      expect(await a.ask('get')).toBe(5)
      expect(system.actorCounters(a)).toEqual({ queued: 0, handled: 6, restarts: 0 })
      await system.stop(a)
      expect(system.actorCounters(a)).toBeUndefined()
    })
  })

  it('restarts an actor on request, through its supervisor, keeping its mailbox', async () => {
    await withTestSystem(async (system) => {
      const a = system.spawn(Counter, { name: 'a' })
      a.tell('inc')
      a.tell('spawn')
      expect(await a.ask('get')).toBe(1)
      const events: InspectionEvent[] = []
      const restarted = new Promise<void>((resolve) =>
        system.inspect((event) => {
          events.push(event)
          if (event.type === 'restarted') resolve()
        }),
      )
      expect(system.restart(a)).toBe(true)
      await failAfter(2_000, () => restarted)
      expect(await a.ask('get')).toBe(0)
      expect(system.actorCounters(a)!.restarts).toBe(1)
      const event = events.find((e) => e.type === 'restarted')
      expect(event).toMatchObject({ ref: a, restarts: 1 })
      expect((event as { error: unknown }).error).toBeInstanceOf(CancelledError)
      // Its child of the old incarnation was stopped with it.
      expect(system.childrenOf(a)).toEqual([])
      await system.stop(a)
      expect(system.restart(a)).toBe(false)
    })
  })
})
