import { type ActorSystem, defineActor, type Ref, Terminated } from 'troupe'
import { createTestProbe, nextEvent, recordEvents, TestProbe, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type Msg = { type: 'greet'; name: string } | { type: 'count'; n: number }

const isCount = (m: Msg): m is Extract<Msg, { type: 'count' }> => m.type === 'count'

/** Tells `to` each message of `messages`, from inside an actor (so the probe sees a sender). */
const Sender = defineActor<{ to: Ref<Msg>; messages: Msg[] }>({
  receive: (_s, { to, messages }, ctx) => {
    for (const m of messages) to.tell(m, ctx.self as Ref)
  },
})

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e as Error,
  )
}

describe('TestProbe', () => {
  it('expectMessage without a matcher returns the next message, in order', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<Msg>(system)
      expect(probe).toBeInstanceOf(TestProbe)
      probe.ref.tell({ type: 'count', n: 1 })
      probe.ref.tell({ type: 'count', n: 2 })
      await expect(probe.expectMessage()).resolves.toEqual({ type: 'count', n: 1 })
      await expect(probe.expectMessage()).resolves.toEqual({ type: 'count', n: 2 })
    })
  })

  it('expectMessage waits for a message that arrives later', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<Msg>(system)
      const waiting = probe.expectMessage(undefined, { timeout: 2000 })
      const sender = system.spawn(Sender)
      sender.tell({ to: probe.ref, messages: [{ type: 'greet', name: 'x' }] })
      await expect(waiting).resolves.toEqual({ type: 'greet', name: 'x' })
      expect(probe.lastSender?.equals(sender)).toBe(true)
    })
  })

  it('expectMessage with a matcher returns the matching message', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<Msg>(system)
      probe.ref.tell({ type: 'count', n: 7 })
      const message = await probe.expectMessage(isCount)
      // Narrowed by the type guard.
      expect(message.n).toBe(7)
    })
  })

  it('expectMessage fails with the probe and the message when the next one does not match', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<Msg>(system, { name: 'picky' })
      probe.ref.tell({ type: 'greet', name: 'unexpected' })
      const error = await rejection(probe.expectMessage(isCount))
      expect(error.message).toContain('/user/picky')
      expect(error.message).toContain('unexpected')
    })
  })

  it('expectMessage times out with an error naming the probe', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<Msg>(system, { name: 'lonely' })
      const started = performance.now()
      const error = await rejection(probe.expectMessage(undefined, { timeout: 20 }))
      expect(error.message).toContain('/user/lonely')
      expect(error.message).toContain('20 ms')
      expect(performance.now() - started).toBeLessThan(2000)
      // The probe still works after a timeout.
      probe.ref.tell({ type: 'count', n: 1 })
      await expect(probe.expectMessage()).resolves.toEqual({ type: 'count', n: 1 })
    })
  })

  it('expectNoMessage passes when nothing arrives and fails when something does', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<Msg>(system, { name: 'quiet' })
      await expect(probe.expectNoMessage(20)).resolves.toBeUndefined()
      probe.ref.tell({ type: 'greet', name: 'noise' })
      const error = await rejection(probe.expectNoMessage(1000))
      expect(error.message).toContain('/user/quiet')
      expect(error.message).toContain('noise')
    })
  })

  it('receiveMessages takes the next n messages in order, or fails at its timeout', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<Msg>(system, { name: 'collector' })
      const sender = system.spawn(Sender)
      const messages: Msg[] = [1, 2, 3, 4].map((n) => ({ type: 'count', n }))
      sender.tell({ to: probe.ref, messages })
      await expect(probe.receiveMessages(3)).resolves.toEqual(messages.slice(0, 3))
      await expect(probe.expectMessage()).resolves.toEqual(messages[3])
      probe.ref.tell({ type: 'count', n: 5 })
      const error = await rejection(probe.receiveMessages(2, { timeout: 20 }))
      expect(error.message).toContain('/user/collector')
      expect(error.message).toContain('got 1')
    })
  })

  it('expectTerminated watches an actor and returns its Terminated', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe(system)
      const Quitter = defineActor<'quit'>({ receive: (_s, _m, ctx) => ctx.stop() })
      const quitter = system.spawn(Quitter)
      const terminated = probe.expectTerminated(quitter, { timeout: 2000 })
      quitter.tell('quit')
      const t = await terminated
      expect(t).toBeInstanceOf(Terminated)
      expect(t.ref.equals(quitter)).toBe(true)
      expect(t.reason).toBe('normal')
      // An actor that has already stopped is reported at once.
      const gone = system.spawn(Quitter)
      await system.stop(gone)
      expect((await probe.expectTerminated(gone, { timeout: 2000 })).reason).toBe('stopped')
    })
  })

  it('expectTerminated fails at its timeout when the actor lives on', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe(system, { name: 'watcher' })
      const alive = system.spawn(defineActor<never>({ receive: () => {} }), { name: 'alive' })
      const error = await rejection(probe.expectTerminated(alive, { timeout: 20 }))
      expect(error.message).toContain('/user/watcher')
      expect(error.message).toContain('/user/alive')
    })
  })

  it('reply answers the sender of the last message taken', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const asked = probe.ref.ask<number>('question', { timeout: 2000 })
      await expect(probe.expectMessage()).resolves.toBe('question')
      probe.reply(42)
      await expect(asked).resolves.toBe(42)
    })
  })

  it('reply throws when the last message had no sender', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      probe.ref.tell('anonymous')
      await probe.expectMessage()
      expect(() => probe.reply('x')).toThrow(/no sender/)
    })
  })

  it('a named probe can be found by name', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe(system, { name: 'findable' })
      expect(system.localActor('findable')?.equals(probe.ref)).toBe(true)
    })
  })
})

describe('withTestSystem', () => {
  it('returns what the body returns and shuts the system down', async () => {
    let captured: ActorSystem | undefined
    let ref: Ref | undefined
    const result = await withTestSystem(async (system) => {
      captured = system
      ref = system.spawn(defineActor<never>({ receive: () => {} }))
      return 'value'
    })
    expect(result).toBe('value')
    expect(captured!.isAlive(ref!)).toBe(false)
  })

  it('shuts the system down even when the body throws, and rethrows that error', async () => {
    let captured: ActorSystem | undefined
    let ref: Ref | undefined
    const stopped: string[] = []
    const boom = new Error('body failed')
    const outcome = await withTestSystem(async (system) => {
      captured = system
      const Tracked = defineActor<never>({
        receive: () => {},
        stopped: (_s, ctx) => {
          stopped.push(ctx.self.path)
        },
      })
      ref = system.spawn(Tracked, { name: 'tracked' })
      throw boom
    }).catch((e: unknown) => e)
    expect(outcome).toBe(boom)
    expect(captured!.isAlive(ref!)).toBe(false)
    expect(stopped).toEqual(['/user/tracked'])
    expect(captured!.localActor('tracked')).toBeUndefined()
  })

  it('passes options through to start', async () => {
    await withTestSystem(
      async (system) => {
        expect(system.node).toBe('probe-node')
      },
      { node: 'probe-node' },
    )
  })
})

describe('nextEvent and recordEvents', () => {
  it('nextEvent resolves with the first matching event and rejects at its timeout', async () => {
    await withTestSystem(async (system) => {
      const spawned = nextEvent(system, 'spawned', (e) => e.ref.name === 'second')
      system.spawn(defineActor<never>({ receive: () => {} }), { name: 'first' })
      system.spawn(defineActor<never>({ receive: () => {} }), { name: 'second' })
      expect((await spawned).ref.name).toBe('second')
      const error = await rejection(nextEvent(system, 'restarted', () => true, { timeout: 20 }))
      expect(error.message).toContain("'restarted'")
    })
  })

  it('recordEvents records every event until stopped', async () => {
    await withTestSystem(async (system) => {
      const rec = recordEvents(system)
      const ref = system.spawn(defineActor<never>({ receive: () => {} }))
      await system.stop(ref)
      expect(rec.events.map((e) => e.type)).toEqual(['spawned', 'stopped'])
      rec.stop()
      system.spawn(defineActor<never>({ receive: () => {} }))
      expect(rec.events).toHaveLength(2)
    })
  })
})
