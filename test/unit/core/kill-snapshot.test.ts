import {
  ActorStoppedError,
  defineActor,
  defineProcess,
  Exit,
  LinkedActorFailedError,
  NoSnapshotError,
  type StopReason,
} from 'troupe'
import { deferred, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type Msg = { type: 'add'; n: number } | { type: 'slow' }

/** Adds; a `slow` message holds the mailbox until the gate of its props opens (messages are frozen, so the gate is not one). */
const Counter = defineActor<Msg, { n: number; gate: Promise<void> }, Promise<void> | undefined>({
  init: (gate) => ({ n: 0, gate: gate ?? Promise.resolve() }),
  receive: async (state, msg) => {
    if (msg.type === 'add') return { ...state, n: state.n + msg.n }
    await state.gate
    return state
  },
  snapshot: (state) => ({ n: state.n }),
})

describe('system.kill', () => {
  it("stops the actor at once: its stopped hook and its watchers see reason 'killed'", async () => {
    await withTestSystem(async (system) => {
      const hook = deferred<StopReason | 'restart'>()
      const Victim = defineActor<string, undefined>({
        receive: () => undefined,
        stopped: (_state, _ctx, reason) => hook.resolve(reason),
      })
      const victim = system.spawn(Victim, { name: 'victim' })
      const watched = system.watch(victim)
      await system.kill(victim)
      expect(await hook.promise).toBe('killed')
      expect((await watched).reason).toBe('killed')
      expect(system.isAlive(victim)).toBe(false)
      expect(system.localActor('victim')).toBeUndefined()
    })
  })

  it('takes linked actors down with it, as an abnormal exit; one that traps exits gets Exit with reason killed', async () => {
    await withTestSystem(async (system) => {
      const victim = system.spawn(defineActor<string>({ receive: () => undefined }))
      const trapped = deferred<string>()
      const Linked = defineActor<string>({
        started: (_state, ctx) => ctx.link(victim),
        receive: (_state, _msg, ctx) => ctx.reply('linked'),
      })
      const Trapper = defineActor<string>({
        trapExit: true,
        started: (_state, ctx) => ctx.link(victim),
        receive: (_state, _msg, ctx) => ctx.reply('linked'),
        signal: (state, signal) => {
          if (signal instanceof Exit) trapped.resolve(signal.reason)
          return state
        },
      })
      const failed = new Promise<unknown>((resolve) =>
        system.inspect((event) => {
          if (event.type === 'failed' && event.ref === linked) resolve(event.error)
        }),
      )
      const linked = system.spawn(Linked)
      const trapper = system.spawn(Trapper)
      // Both have linked by the time they answer: `started` runs before any message.
      expect(await Promise.all([linked.ask('ready?'), trapper.ask('ready?')])).toEqual(['linked', 'linked'])
      await system.kill(victim)
      expect(await trapped.promise).toBe('killed')
      const error = await failed
      expect(error).toBeInstanceOf(LinkedActorFailedError)
      expect((error as LinkedActorFailedError).reason).toBe('killed')
      expect((error as Error).message).toBe(`linked actor ${victim.address} was killed`)
    })
  })

  it('fails an ask the actor is handling with ActorStoppedError', async () => {
    await withTestSystem(async (system) => {
      const never = deferred<void>()
      const counter = system.spawn(Counter, { props: never.promise })
      const asked = counter.ask({ type: 'slow' })
      await system.kill(counter)
      await expect(asked).rejects.toBeInstanceOf(ActorStoppedError)
    })
  })
})

describe('system.snapshot', () => {
  it("runs the definition's snapshot in the actor's turn, after the messages sent before it", async () => {
    await withTestSystem(async (system) => {
      const release = deferred<void>()
      const counter = system.spawn(Counter, { props: release.promise })
      counter.tell({ type: 'add', n: 2 })
      counter.tell({ type: 'slow' })
      counter.tell({ type: 'add', n: 3 })
      const snapshot = system.snapshot(counter)
      release.resolve()
      expect(await snapshot).toEqual({ n: 5 })
    })
  })

  it('rejects with NoSnapshotError for an actor whose definition has none, and for a process', async () => {
    await withTestSystem(async (system) => {
      const plain = system.spawn(defineActor<string, undefined>({ receive: () => undefined }))
      await expect(system.snapshot(plain)).rejects.toBeInstanceOf(NoSnapshotError)
      const process = system.spawn(defineProcess<string>(async (self) => self.receive()))
      await expect(system.snapshot(process)).rejects.toThrow(/has no snapshot/)
    })
  })

  it('rejects with ActorStoppedError when the actor stops first, and with what snapshot throws', async () => {
    await withTestSystem(async (system) => {
      const counter = system.spawn(Counter)
      await system.stop(counter)
      await expect(system.snapshot(counter)).rejects.toBeInstanceOf(ActorStoppedError)
      const broken = system.spawn(
        defineActor<string, undefined>({
          receive: () => undefined,
          snapshot: () => {
            throw new Error('no view')
          },
        }),
      )
      await expect(system.snapshot(broken)).rejects.toThrow('no view')
      expect(system.isAlive(broken)).toBe(true)
    })
  })
})
