import { defineActor, Exit, LinkedActorFailedError, type Ref, type Signal } from 'troupe'
import { createTestProbe, nextEvent, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type Msg = { link: Ref } | { unlink: Ref } | 'crash' | 'quit' | 'ping'

function linker(trapExit: boolean, probe?: Ref<Signal>) {
  return defineActor<Msg>({
    receive: (_s, m, ctx) => {
      if (m === 'crash') throw new Error('linked crash')
      if (m === 'quit') ctx.stop()
      else if (m === 'ping') ctx.reply('pong')
      else if ('link' in m) ctx.link(m.link)
      else ctx.unlink(m.unlink)
      if (typeof m === 'object') ctx.reply('ok')
    },
    signal: (_s, signal) => probe?.tell(signal),
    trapExit,
  })
}

describe('links', () => {
  it('a failure propagates to the linked actor, which fails with LinkedActorFailedError', async () => {
    await withTestSystem(
      async (system) => {
        const a = system.spawn(linker(false))
        const b = system.spawn(linker(false))
        await a.ask({ link: b })
        const bDown = system.watch(b)
        a.tell('crash')
        const t = await bDown
        expect(t.reason).toBe('failed')
        expect(t.error).toBeInstanceOf(LinkedActorFailedError)
        expect(((t.error as Error).cause as Error).message).toBe('linked crash')
      },
      { supervision: { decide: () => 'stop' } },
    )
  })

  it('links work both ways', async () => {
    await withTestSystem(
      async (system) => {
        const a = system.spawn(linker(false))
        const b = system.spawn(linker(false))
        await a.ask({ link: b })
        const aDown = system.watch(a)
        b.tell('crash')
        expect((await aDown).error).toBeInstanceOf(LinkedActorFailedError)
      },
      { supervision: { decide: () => 'stop' } },
    )
  })

  it('with trapExit the linked actor receives Exit instead of failing', async () => {
    await withTestSystem(
      async (system) => {
        const probe = createTestProbe<Signal>(system)
        const trapper = system.spawn(linker(true, probe.ref))
        const victim = system.spawn(linker(false))
        await trapper.ask({ link: victim })
        victim.tell('crash')
        const exit = await probe.expectMessage((m): m is Exit => m instanceof Exit)
        expect(exit.reason).toBe('failed')
        expect(exit.ref.equals(victim)).toBe(true)
        expect(await trapper.ask('ping')).toBe('pong')
      },
      { supervision: { decide: () => 'stop' } },
    )
  })

  it('a normal stop does not propagate; unlink cuts the link', async () => {
    await withTestSystem(
      async (system) => {
        const a = system.spawn(linker(false))
        const b = system.spawn(linker(false))
        const c = system.spawn(linker(false))
        await a.ask({ link: b })
        await a.ask({ link: c })
        await a.ask({ unlink: c })
        b.tell('quit')
        expect((await system.watch(b)).reason).toBe('normal')
        expect(await a.ask('ping')).toBe('pong')
        const stopped = nextEvent(system, 'stopped', (e) => e.ref.equals(a))
        a.tell('crash')
        await stopped
        expect(await c.ask('ping')).toBe('pong')
      },
      { supervision: { decide: () => 'stop' } },
    )
  })

  it('linking to a stopped actor: Exit noproc with trapExit, a failure without', async () => {
    await withTestSystem(
      async (system) => {
        const probe = createTestProbe<Signal>(system)
        const dead = system.spawn(linker(false))
        await system.stop(dead)
        const trapper = system.spawn(linker(true, probe.ref))
        await trapper.ask({ link: dead })
        const exit = await probe.expectMessage((m): m is Exit => m instanceof Exit)
        expect(exit.reason).toBe('noproc')
        const plain = system.spawn(linker(false))
        await expect(plain.ask({ link: dead })).rejects.toThrow(/is stopped/)
      },
      { supervision: { decide: () => 'stop' } },
    )
  })
})
