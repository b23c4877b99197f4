import {
  type ActorSystem,
  AskTimeoutError,
  defineActor,
  InvalidOptionError,
  NodeDownError,
  type Ref,
  RemoteActorError,
  RestartIntensityError,
  start,
  supervisor,
} from 'troupe'
import { nextEvent } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { createSystem } from '../../../src/core/internal.ts'
import { type CounterMsg, actors as exposed } from '../../fixtures/exposed-actors.ts'
import { type Where, Worker, type WorkerMsg } from '../../fixtures/supervised-actors.ts'
import { processGone, stillRunning } from '../../support/processes.ts'

const actors = new URL('../../fixtures/supervised-actors.ts', import.meta.url).href
const systems: ActorSystem[] = []
/** Every child process a test saw, killed at the end if a failed test left it running. */
const pids = new Set<number>()
const ASK = { timeout: 15_000 }
const EVENT = { timeout: 15_000 }

afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.shutdown()))
  for (const pid of pids) if (pid !== process.pid && !processGone(pid)) process.kill(pid, 'SIGKILL')
  pids.clear()
})

async function parent(options: Parameters<typeof start>[0] = {}): Promise<ActorSystem> {
  const system = await start({ logLevel: 'silent', ...options })
  systems.push(system)
  return system
}

async function where(worker: Ref<WorkerMsg>): Promise<Where> {
  const answer = await worker.ask<Where>({ type: 'where' }, ASK)
  pids.add(answer.pid)
  return answer
}

describe('an actor spawned in a child node, supervised here', () => {
  it('in a thread: restarted on a new thread with fresh state after a crash, same name and ref', async () => {
    const system = await parent()
    const worker = system.spawn(Worker, { name: 'worker', in: 'thread', modules: [actors] })
    worker.tell({ type: 'add', n: 1 })
    const first = await where(worker)
    expect(first.pid).toBe(process.pid)
    expect(first.thread).not.toBe(0)
    expect(await worker.ask({ type: 'seen' }, ASK)).toEqual([1])
    // The stand-in here gives the snapshot of the actor on its child node.
    expect(await system.snapshot(worker)).toEqual({ seen: [1] })

    const failed = nextEvent(system, 'failed', (e) => e.ref === worker, EVENT)
    const restarted = nextEvent(system, 'restarted', (e) => e.ref === worker, EVENT)
    worker.tell({ type: 'crash' })
    const failure = (await failed).error
    expect(failure).toBeInstanceOf(RemoteActorError)
    expect((failure as RemoteActorError).cause).toBeInstanceOf(RangeError)
    await restarted

    const second = await where(worker)
    expect(second.thread).not.toBe(first.thread)
    expect(second.node).not.toBe(first.node)
    expect(second.name).toBe(first.name)
    expect(await worker.ask({ type: 'seen' }, ASK)).toEqual([])
    expect(system.localActor('worker')).toBe(worker)
    expect(worker.address).toBe(`troupe://${system.node}/user/worker`)
  })

  it('in a process killed with SIGKILL: fails with NodeDownError and runs again in a new process', async () => {
    const system = await parent()
    const worker = system.spawn(Worker, { name: 'worker', in: 'process', modules: [actors] })
    const first = await where(worker)
    expect(first.pid).not.toBe(process.pid)

    const failed = nextEvent(system, 'failed', (e) => e.ref === worker, EVENT)
    process.kill(first.pid, 'SIGKILL')
    const failure = (await failed).error
    expect(failure).toBeInstanceOf(NodeDownError)
    expect((failure as Error).message).toMatch(/killed by SIGKILL|connection .* was lost/)

    const second = await where(worker)
    expect(second.pid).not.toBe(first.pid)
    expect(processGone(first.pid)).toBe(true)
    expect(await worker.ask({ type: 'seen' }, ASK)).toEqual([])
  })

  it('keeps the messages told during a restart and delivers them, in order, after it', async () => {
    const system = await parent()
    const worker = system.spawn(Worker, { name: 'worker', in: 'thread', modules: [actors] })
    await where(worker)
    const failed = nextEvent(system, 'failed', (e) => e.ref === worker, EVENT)
    worker.tell({ type: 'crash' })
    await failed
    // The stand-in is restarting now: these wait in its mailbox for the new child node.
    for (let n = 1; n <= 50; n++) worker.tell({ type: 'add', n })
    const answer = worker.ask({ type: 'seen' }, ASK)
    expect(await answer).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
  })

  it.each(['thread', 'process'] as const)(
    'in a %s: an ask sent at once after the ask it crashed on is answered by the restarted actor',
    async (kind) => {
      const system = await parent()
      const worker = system.spawn(Worker, { name: 'worker', in: kind, modules: [actors] })
      const first = await where(worker)
      const failures: unknown[] = []
      system.inspect((event) => {
        if (event.type === 'failed' && event.ref === worker) failures.push(event.error)
      })
      await expect(worker.ask({ type: 'crash' }, ASK)).rejects.toThrow(RangeError)
      // Sent the moment the asker hears of the crash: it waits for the restart, then is answered.
      expect(await worker.ask({ type: 'seen' }, ASK)).toEqual([])
      const second = await where(worker)
      expect(second.node).not.toBe(first.node)
      expect(failures).toHaveLength(1)
      expect(failures[0]).toBeInstanceOf(RemoteActorError)
      expect((failures[0] as RemoteActorError).cause).toBeInstanceOf(RangeError)
    },
    40_000,
  )

  it.each(['thread', 'process'] as const)(
    'in a %s: asks queued behind the message it crashed on are answered by the restarted actor',
    async (kind) => {
      const system = await parent()
      const worker = system.spawn(Worker, { name: 'worker', in: kind, modules: [actors] })
      const first = await where(worker)
      worker.tell({ type: 'add', n: 1 })
      worker.tell({ type: 'crash' })
      // These reach the actor before it fails, and find it failed: the next incarnation answers.
      const asked = [worker.ask<Where>({ type: 'where' }, ASK), worker.ask({ type: 'seen' }, ASK)]
      const [second, seen] = await Promise.all(asked)
      expect((second as Where).node).not.toBe(first.node)
      pids.add((second as Where).pid)
      expect(seen).toEqual([])
    },
    40_000,
  )

  it('counts restarts against the intensity: past it, its parent fails as it would for a local child', async () => {
    // The system stops a failed top-level actor rather than restarting it.
    const system = await parent({ supervision: { decide: () => 'stop' } })
    const Boss = defineActor<never>({
      init: (_props, ctx) => {
        ctx.spawn(Worker, { name: 'worker', in: 'process', modules: [actors] })
      },
      receive: (_state, _message, ctx) => ctx.unhandled(),
      supervision: { maxRestarts: 1, withinMs: 60_000 },
    })
    const boss = system.spawn(Boss, { name: 'boss' })
    const worker = system.localActor<WorkerMsg>('worker')!
    const first = await where(worker)

    const restarted = nextEvent(system, 'restarted', (e) => e.ref === worker, EVENT)
    worker.tell({ type: 'crash' })
    await restarted
    const second = await where(worker)
    expect(second.pid).not.toBe(first.pid)

    const exceeded = nextEvent(system, 'intensity-exceeded', (e) => e.child === worker, EVENT)
    const bossDown = system.watch(boss)
    worker.tell({ type: 'crash' })
    expect((await exceeded).supervisor).toBe(boss)
    const terminated = await bossDown
    expect(terminated.reason).toBe('failed')
    expect(terminated.error).toBeInstanceOf(RestartIntensityError)
    expect(system.isAlive(worker)).toBe(false)
    expect(await stillRunning([first.pid, second.pid], 5_000)).toEqual([])
  })

  it('one-for-all: a crash of the process child restarts the local child too', async () => {
    const system = await parent()
    const Local = defineActor<'inc' | 'get', number>({
      init: () => 0,
      receive(n, msg, ctx) {
        if (msg === 'inc') return n + 1
        ctx.reply(n)
        return n
      },
    })
    system.spawn(
      supervisor({
        strategy: 'one-for-all',
        children: [
          { name: 'local', behavior: Local },
          { name: 'remote', behavior: Worker, in: 'process', modules: [actors] },
        ],
      }),
      { name: 'app' },
    )
    const local = system.localActor<'inc' | 'get'>('local')!
    const remote = system.localActor<WorkerMsg>('remote')!
    local.tell('inc')
    remote.tell({ type: 'add', n: 7 })
    const first = await where(remote)
    expect(await local.ask('get', ASK)).toBe(1)

    const localRestarted = nextEvent(system, 'restarted', (e) => e.ref === local, EVENT)
    const remoteRestarted = nextEvent(system, 'restarted', (e) => e.ref === remote, EVENT)
    remote.tell({ type: 'crash' })
    await Promise.all([localRestarted, remoteRestarted])
    expect(await local.ask('get', ASK)).toBe(0)
    const second = await where(remote)
    expect(second.pid).not.toBe(first.pid)
    expect(await remote.ask({ type: 'seen' }, ASK)).toEqual([])
    expect(system.localActor('remote')).toBe(remote)
  })

  it('leaves no child process once its parent has stopped', async () => {
    const system = await parent()
    const Boss = defineActor<never>({
      init: (_props, ctx) => {
        ctx.spawn(Worker, { name: 'worker', in: 'process', modules: [actors] })
      },
      receive: (_state, _message, ctx) => ctx.unhandled(),
    })
    const boss = system.spawn(Boss, { name: 'boss' })
    const { pid } = await where(system.localActor<WorkerMsg>('worker')!)
    await system.stop(boss)
    expect(await stillRunning([pid], 5_000)).toEqual([])
  })
})

describe('spawn with `in` refuses', () => {
  it('a system without the child-node layer', async () => {
    const system = createSystem({ logLevel: 'silent' })
    try {
      expect(() => system.spawn(Worker, { in: 'thread', modules: [actors] })).toThrow(InvalidOptionError)
      expect(() => system.spawn(Worker, { in: 'thread', modules: [actors] })).toThrow(
        /cannot start child nodes/,
      )
    } finally {
      await system.shutdown()
    }
  })

  it("'in' with 'on', no modules, a bad kind", async () => {
    const system = await parent()
    expect(() => system.spawn(Worker, { in: 'thread', on: 'other', modules: [actors] })).toThrow(
      /give only one of them/,
    )
    expect(() => system.spawn(Worker, { in: 'process' })).toThrow(InvalidOptionError)
    expect(() => system.spawn(Worker, { in: 'process', modules: ['./relative.ts'] })).toThrow(
      /expected file URLs/,
    )
    expect(() => system.spawn(Worker, { in: 'fiber' as 'thread', modules: [actors] })).toThrow(
      /expected 'thread' or 'process'/,
    )
  })

  it('a definition no module exposes and no modules name: at once, saying how to expose it', async () => {
    const system = await parent()
    const Hidden = defineActor<string>({ receive: () => {} })
    expect(() => system.spawn(Hidden, { in: 'process' })).toThrow(InvalidOptionError)
    expect(() => system.spawn(Hidden, { name: 'hidden', in: 'thread' })).toThrow(
      /no module exposes this one: .*expose\(import\.meta\.url, \{ Worker \}\)/,
    )
    expect(system.localActor('hidden')).toBeUndefined()
    // A supervisor spec is refused when it is written, as its other bad fields are.
    expect(() => supervisor({ children: [{ name: 'w', behavior: Hidden, in: 'thread' }] })).toThrow(
      /children\[0\]\.modules.*child 'w' runs in a thread: expose its definition .*expose\(import\.meta\.url/,
    )
  })
})

/** A spawn whose child node cannot find the definition: what the asker, the watcher and inspection see. */
async function refusedSpawn(system: ActorSystem, spawn: () => Ref<unknown>) {
  const events: string[] = []
  system.inspect((event) => {
    if (event.type === 'failed' || event.type === 'restarted') events.push(`${event.type} ${event.ref.name}`)
  })
  const ref = spawn()
  const terminated = system.watch(ref)
  // Sent while the child node starts: it waits in the stand-in's mailbox.
  const asked = ref.ask('anything', { timeout: 20_000 }).then(
    () => undefined,
    (error: unknown) => error,
  )
  const error = await asked
  const { reason, error: why } = await terminated
  return { error, reason, why, events, alive: system.isAlive(ref) }
}

describe('a definition its child node cannot find is no crash', () => {
  it('modules that do not export it: the ask rejects with the reason, the actor stops, no restart', async () => {
    const system = await parent()
    const Hidden = defineActor<string>({ receive: () => {} })
    const seen = await refusedSpawn(system, () =>
      system.spawn(Hidden, { name: 'hidden', in: 'thread', modules: [actors] }),
    )
    expect(seen.error).toBeInstanceOf(InvalidOptionError)
    expect(seen.error).not.toBeInstanceOf(AskTimeoutError)
    expect((seen.error as Error).message).toMatch(/none of .*supervised-actors\.ts exports the definition/)
    expect(seen.reason).toBe('failed')
    expect(seen.why).toBe(seen.error)
    expect(seen.events).toEqual(['failed hidden'])
    expect(seen.alive).toBe(false)
    // Its name is free again, and spawning under it again is refused the same way.
    await expect(
      system.spawn(Hidden, { name: 'hidden', in: 'thread', modules: [actors] }).ask('x', ASK),
    ).rejects.toThrow(InvalidOptionError)
  })

  it.each(['thread', 'process'] as const)(
    'in a %s, a name its modules do not export: the child says so, and the asker gets it',
    async (kind) => {
      const system = await parent()
      const Ghost = defineActor<string>({ receive: () => {} })
      system.expose({ Ghost })
      const seen = await refusedSpawn(system, () =>
        system.spawn(Ghost, { name: 'ghost', in: kind, modules: [actors] }),
      )
      expect(seen.error).toBeInstanceOf(InvalidOptionError)
      expect((seen.error as Error).message).toMatch(/child node ghost-\S+ exposes no definition 'Ghost'/)
      expect(seen.reason).toBe('failed')
      expect(seen.why).toBe(seen.error)
      expect(seen.events).toEqual(['failed ghost'])
    },
    40_000,
  )

  it('a module that exposes it only after start(): the reason says to expose it before', async () => {
    const { late } = await import('../../fixtures/actor-exposed-after-start.ts')
    const system = await parent()
    const seen = await refusedSpawn(system, () => system.spawn(late.Late, { name: 'late', in: 'thread' }))
    expect(seen.error).toBeInstanceOf(InvalidOptionError)
    const message = (seen.error as Error).message
    expect(message).toMatch(/has no definition 'Late' of .*actor-exposed-after-start\.ts/)
    expect(message).toMatch(/calls start\(\) at its top level/)
    expect(message).toMatch(/call expose\(import\.meta\.url, \{ Late \}\) before start\(\)/)
    expect(seen.events).toEqual(['failed late'])
  })
})

describe("a definition exposed at its module's top level, spawned with no modules", () => {
  it('from ctx.spawn, in a process: restarted in a new one after a crash', async () => {
    const system = await parent()
    const Boss = defineActor<never>({
      init: (_props, ctx) => {
        ctx.spawn(exposed.Counter, { name: 'counter', in: 'process' })
      },
      receive: (_state, _message, ctx) => ctx.unhandled(),
    })
    system.spawn(Boss, { name: 'boss' })
    const counter = system.localActor<CounterMsg>('counter')!
    counter.tell({ type: 'inc' })
    const first = await counter.ask<{ pid: number }>({ type: 'where' }, ASK)
    pids.add(first.pid)
    expect(first.pid).not.toBe(process.pid)
    expect(await counter.ask({ type: 'get' }, ASK)).toBe(1)

    const restarted = nextEvent(system, 'restarted', (e) => e.ref === counter, EVENT)
    await expect(counter.ask({ type: 'crash' }, ASK)).rejects.toThrow(RangeError)
    await restarted
    const second = await counter.ask<{ pid: number }>({ type: 'where' }, ASK)
    pids.add(second.pid)
    expect(second.pid).not.toBe(first.pid)
    expect(await counter.ask({ type: 'get' }, ASK)).toBe(0)
  })

  it('as a supervisor child in a thread, and a defineProcess actor in a process', async () => {
    const system = await parent()
    system.spawn(
      supervisor({
        children: [
          { name: 'counter', behavior: exposed.Counter, in: 'thread' },
          { name: 'echo', behavior: exposed.Echo, in: 'process' },
        ],
      }),
      { name: 'app' },
    )
    const counter = system.localActor<CounterMsg>('counter')!
    const where = await counter.ask<{ pid: number; thread: number }>({ type: 'where' }, ASK)
    expect(where.pid).toBe(process.pid)
    expect(where.thread).not.toBe(0)
    const echo = system.localActor<string>('echo')!
    const answer = await echo.ask<string>('hi', ASK)
    expect(answer).toMatch(/^echo: hi from process \d+$/)
    const pid = Number(answer.split(' ').at(-1))
    pids.add(pid)
    expect(pid).not.toBe(process.pid)
  })
})
