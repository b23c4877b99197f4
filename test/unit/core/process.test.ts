import { defineProcess, ReceiveTimeoutError, type Ref, Terminated } from 'troupe'
import { createTestProbe, nextEvent, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type Msg = { type: 'a' | 'b' | 'c'; n: number }

describe('process-style actors', () => {
  it('selective receive takes the first match and leaves the others in order', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const p = system.spawn<Msg>(async (self) => {
        const first = (await self.receive((m): m is Msg => (m as Msg).type === 'b')) as Msg
        probe.ref.tell(`b${first.n}`)
        for (let i = 0; i < 3; i++) {
          const m = (await self.receive()) as Msg
          probe.ref.tell(`${m.type}${m.n}`)
        }
      })
      p.tell({ type: 'a', n: 1 })
      p.tell({ type: 'c', n: 2 })
      p.tell({ type: 'a', n: 3 })
      p.tell({ type: 'b', n: 4 })
      expect(await probe.receiveMessages(4)).toEqual(['b4', 'a1', 'c2', 'a3'])
      expect((await system.watch(p)).reason).toBe('normal')
    })
  })

  it('receive throws ReceiveTimeoutError at the deadline; a later message still arrives', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<unknown>(system)
      const p = system.spawn<string>(async (self) => {
        try {
          await self.receive(undefined, { timeout: 10 })
        } catch (error) {
          probe.ref.tell(error)
        }
        probe.ref.tell(await self.receive())
      })
      const error = await probe.expectMessage()
      expect(error).toBeInstanceOf(ReceiveTimeoutError)
      p.tell('late')
      expect(await probe.expectMessage()).toBe('late')
    })
  })

  it('replies to asks with self.reply', async () => {
    await withTestSystem(async (system) => {
      const echo = system.spawn<string>(async (self) => {
        for (;;) self.reply(`echo ${String(await self.receive())}`)
      })
      expect(await echo.ask('hi')).toBe('echo hi')
      expect(await echo.ask('again')).toBe('echo again')
    })
  })

  it('a crashed process restarts from the top with its mailbox, and the old incarnation cannot receive', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      let incarnation = 0
      const p = system.spawn<string>(async (self) => {
        const mine = ++incarnation
        probe.ref.tell(`start ${mine}`)
        for (;;) {
          const m = await self.receive()
          if (m === 'crash') throw new Error('process crash')
          probe.ref.tell(`${mine}:${String(m)}`)
        }
      })
      await probe.expectMessage((m) => m === 'start 1')
      p.tell('x')
      p.tell('crash')
      p.tell('y')
      expect(await probe.receiveMessages(3)).toEqual(['1:x', 'start 2', '2:y'])
    })
  })

  it('receives Terminated of watched actors; a process stopping itself ends at once', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const target = system.spawn<string>(async (self) => {
        await self.receive()
      })
      const watcher = system.spawn<Ref>(async (self) => {
        self.watch(target)
        const t = await self.receive((m): m is Terminated => m instanceof Terminated)
        probe.ref.tell(`terminated ${(t as Terminated).reason}`)
        self.stop()
        probe.ref.tell('still running after stop')
        await self.receive().catch(() => probe.ref.tell('receive after stop rejected'))
      })
      await Promise.resolve()
      target.tell('go')
      expect(await probe.receiveMessages(3)).toEqual([
        'terminated normal',
        'still running after stop',
        'receive after stop rejected',
      ])
      expect(system.isAlive(watcher)).toBe(false)
    })
  })

  it('defineProcess carries its defaults; stopping a waiting process rejects its receive', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const Waiter = defineProcess<string>(
        async (self) => {
          try {
            await self.receive()
          } catch (error) {
            probe.ref.tell((error as Error).name)
            throw error
          }
        },
        { mailbox: { capacity: 2, overflow: 'drop-newest' } },
      )
      const w = system.spawn(Waiter)
      const failed = nextEvent(system, 'stopped')
      await Promise.resolve()
      await system.stop(w)
      expect(await probe.expectMessage()).toBe('CancelledError')
      expect((await failed).reason).toBe('stopped')
    })
  })
})
