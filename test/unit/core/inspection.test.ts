import { Writable } from 'node:stream'
import { pino } from 'pino'
import {
  type ActorSystem,
  defineActor,
  type InspectionEvent,
  type Ref,
  RestartIntensityError,
  start,
  supervisor,
} from 'troupe'
import { createTestProbe, type EventOf, nextEvent, recordEvents, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

/** Settles like `promise`, or rejects if it has not settled within `ms`. */
function within<T>(ms: number, promise: Promise<T>, what = 'the promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

function ofType<T extends InspectionEvent['type']>(events: InspectionEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type)
}

type Msg = 'get' | 'inc' | 'crash' | 'stop'

const Counter = defineActor<Msg, number>({
  init: () => 0,
  receive: (n, msg, ctx) => {
    if (msg === 'crash') throw new Error(`crash at ${n}`)
    if (msg === 'stop') ctx.stop()
    if (msg === 'get') ctx.reply(n)
    return msg === 'inc' ? n + 1 : n
  },
})

describe('inspection events', () => {
  it('spawned carries the ref and the parent', async () => {
    await withTestSystem(async (system) => {
      const rec = recordEvents(system)
      const Parent = defineActor<'spawn'>({
        receive: (_s, _m, ctx) => ctx.reply(ctx.spawn(Counter, { name: 'child' })),
      })
      const parent = system.spawn(Parent, { name: 'parent' })
      const child = await parent.ask<Ref>('spawn')
      const spawned = ofType(rec.events, 'spawned')
      expect(spawned.map((e) => [e.ref.path, e.parent?.path])).toEqual([
        ['/user/parent', '/user'],
        ['/user/parent/child', '/user/parent'],
      ])
      expect(spawned[0]!.ref.equals(parent)).toBe(true)
      expect(spawned[1]!.ref.equals(child)).toBe(true)
      expect(spawned[1]!.parent?.equals(parent)).toBe(true)
      rec.stop()
    })
  })

  it('stopped carries the reason: stopped, normal, failed', async () => {
    await withTestSystem(async (system) => {
      const rec = recordEvents(system)
      const byOther = system.spawn(Counter)
      await system.stop(byOther)
      const bySelf = system.spawn(Counter)
      const selfStopped = system.watch(bySelf)
      bySelf.tell('stop')
      await selfStopped
      const returned = system.spawn(async () => {})
      await within(1000, system.watch(returned))
      const boom = new Error('boom')
      const NoRestart = defineActor<string>({
        receive: () => {
          throw boom
        },
      })
      // A child of an actor whose decider says stop fails for good.
      const Parent = defineActor<'go'>({
        init: (_p, ctx) => {
          ctx.spawn(NoRestart, { name: 'fragile' })
        },
        receive: () => {},
        supervision: { decide: () => 'stop' },
      })
      system.spawn(Parent)
      const fragile = system.localActor<string>('fragile')!
      const failedStop = nextEvent(system, 'stopped', (e) => e.ref.equals(fragile))
      fragile.tell('x')
      const failed = await failedStop

      const stopped = ofType(rec.events, 'stopped')
      const reasonOf = (ref: Ref) => stopped.find((e) => e.ref.equals(ref))?.reason
      expect(reasonOf(byOther)).toBe('stopped')
      expect(reasonOf(bySelf)).toBe('normal')
      expect(reasonOf(returned)).toBe('normal')
      expect(failed.reason).toBe('failed')
      expect(failed.error).toBe(boom)
      rec.stop()
    })
  })

  it('stopped events come children first, depth first', async () => {
    await withTestSystem(async (system) => {
      const hooks: string[] = []
      const Tree = defineActor<never, undefined, number>({
        init: (depth, ctx) => {
          if (depth > 0) {
            // Names are unique per node: the subtrees' actors get generated ones.
            ctx.spawn(Tree, { props: depth - 1 })
            ctx.spawn(Tree, { props: depth - 1 })
          }
          return undefined
        },
        receive: () => {},
        stopped: (_s, ctx) => {
          hooks.push(ctx.self.path)
        },
      })
      const root = system.spawn(Tree, { name: 'root', props: 2 })
      expect(system.isAlive(root)).toBe(true)
      const rec = recordEvents(system)
      await system.stop(root)
      const childrenFirst = (order: string[]) => {
        expect(order).toHaveLength(7)
        expect(order[order.length - 1]).toBe('/user/root')
        for (const path of order) {
          const parentPath = path.slice(0, path.lastIndexOf('/'))
          if (parentPath === '/user') continue
          expect(order.indexOf(parentPath), `${parentPath} after ${path}`).toBeGreaterThan(
            order.indexOf(path),
          )
        }
      }
      childrenFirst(hooks)
      const events = ofType(rec.events, 'stopped')
      expect(events.every((e) => e.reason === 'stopped')).toBe(true)
      childrenFirst(events.map((e) => e.ref.path))
      rec.stop()
    })
  })

  it('failed carries the directive, restarted the error and the restart count', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter)
      const rec = recordEvents(system)
      const secondRestart = nextEvent(system, 'restarted', (e) => e.ref.equals(ref) && e.restarts === 2)
      ref.tell('inc')
      ref.tell('crash')
      ref.tell('crash')
      await secondRestart
      const failed = ofType(rec.events, 'failed')
      expect(failed).toHaveLength(2)
      expect(failed[0]!.ref.equals(ref)).toBe(true)
      expect(failed[0]!.directive).toBe('restart')
      expect((failed[0]!.error as Error).message).toBe('crash at 1')
      expect((failed[1]!.error as Error).message).toBe('crash at 0')
      const restarted = ofType(rec.events, 'restarted')
      expect(restarted.map((e) => e.restarts)).toEqual([1, 2])
      expect(restarted[0]!.error).toBe(failed[0]!.error)
      // The failing message is not redelivered; the actor lives on.
      await expect(ref.ask('get')).resolves.toBe(0)
      rec.stop()
    })
  })

  it('past the restart intensity: intensity-exceeded, then stopped with reason failed', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter)
      const rec = recordEvents(system)
      const stopped = nextEvent(system, 'stopped', (e) => e.ref.equals(ref))
      for (let i = 0; i < 4; i++) ref.tell('crash')
      const event = await stopped
      expect(event.reason).toBe('failed')
      expect(ofType(rec.events, 'restarted')).toHaveLength(3)
      const exceeded = ofType(rec.events, 'intensity-exceeded')
      expect(exceeded).toHaveLength(1)
      expect(exceeded[0]!.child.equals(ref)).toBe(true)
      expect(exceeded[0]!.supervisor.path).toBe('/user')
      expect(exceeded[0]!.restarts).toBe(3)
      expect(exceeded[0]!.withinMs).toBe(5000)
      expect(system.isAlive(ref)).toBe(false)
      rec.stop()
    })
  })

  it('a supervisor past its intensity fails with RestartIntensityError', async () => {
    await withTestSystem(async (system) => {
      const sup = system.spawn(
        supervisor({ intensity: 1, periodMs: 5000, children: [{ name: 'worker', behavior: Counter }] }),
        { name: 'sup' },
      )
      const supFailed = nextEvent(system, 'failed', (e) => e.ref.equals(sup))
      const worker = system.localActor<Msg>('worker')!
      worker.tell('crash')
      await nextEvent(system, 'restarted', (e) => e.ref.path === '/user/sup/worker')
      system.localActor<Msg>('worker')!.tell('crash')
      const event = await supFailed
      expect(event.error).toBeInstanceOf(RestartIntensityError)
    })
  })

  it('dead-letter carries the reason, the message and the sender', async () => {
    await withTestSystem(async (system) => {
      const ref = system.spawn(Counter)
      const probe = createTestProbe(system)
      await system.stop(ref)
      const rec = recordEvents(system)
      const message = { type: 'late' }
      ;(ref as Ref<unknown>).tell(message, probe.ref)
      const dead = ofType(rec.events, 'dead-letter')
      expect(dead).toHaveLength(1)
      expect(dead[0]!.reason).toBe('stopped')
      expect(dead[0]!.message).toEqual(message)
      expect(dead[0]!.to.equals(ref)).toBe(true)
      expect(dead[0]!.sender?.equals(probe.ref)).toBe(true)
      expect(system.deadLetters).toBe(1)
      rec.stop()
    })
  })

  it("dead-letter with reason 'no-sender' for a reply to a tell, 'unhandled' for ctx.unhandled()", async () => {
    await withTestSystem(async (system) => {
      const Replier = defineActor<string>({
        receive: (_s, msg, ctx) => {
          if (msg === 'what') ctx.unhandled()
          else ctx.reply(`re: ${msg}`)
        },
      })
      const ref = system.spawn(Replier)
      const rec = recordEvents(system)
      const noSender = nextEvent(system, 'dead-letter', (e) => e.reason === 'no-sender')
      ref.tell('hello')
      expect((await noSender).message).toBe('re: hello')
      const unhandled = nextEvent(system, 'dead-letter', (e) => e.reason === 'unhandled')
      ref.tell('what')
      expect((await unhandled).message).toBe('what')
      rec.stop()
    })
  })

  it('hook-failed reports throwing stopped hooks, and the tree still stops completely', async () => {
    await withTestSystem(async (system) => {
      const syncError = new Error('sync stopped hook')
      const asyncError = new Error('async stopped hook')
      const parentError = new Error('parent stopped hook')
      const Leaf = defineActor<never>({ receive: () => {} })
      const SyncThrower = defineActor<never>({
        init: (_p, ctx) => {
          ctx.spawn(Leaf, { name: 'grandchild' })
        },
        receive: () => {},
        stopped: () => {
          throw syncError
        },
      })
      const AsyncThrower = defineActor<never>({
        receive: () => {},
        stopped: async () => {
          await Promise.resolve()
          throw asyncError
        },
      })
      const Parent = defineActor<never>({
        init: (_p, ctx) => {
          ctx.spawn(SyncThrower, { name: 'sync' })
          ctx.spawn(AsyncThrower, { name: 'async' })
          ctx.spawn(Leaf, { name: 'leaf' })
        },
        receive: () => {},
        stopped: () => {
          throw parentError
        },
      })
      const parent = system.spawn(Parent, { name: 'p' })
      const refs = ['p', 'sync', 'async', 'leaf', 'grandchild'].map((n) => system.localActor(n)!)
      const rec = recordEvents(system)
      await within(1000, system.stop(parent), 'stopping the tree')
      for (const ref of refs) expect(system.isAlive(ref)).toBe(false)
      const hookFailed = ofType(rec.events, 'hook-failed')
      expect(hookFailed.every((e) => e.hook === 'stopped')).toBe(true)
      const errorOf = (path: string) => hookFailed.find((e) => e.ref.path === path)?.error
      expect(errorOf('/user/p/sync')).toBe(syncError)
      expect(errorOf('/user/p/async')).toBe(asyncError)
      expect(errorOf('/user/p')).toBe(parentError)
      expect(hookFailed).toHaveLength(3)
      expect(ofType(rec.events, 'stopped')).toHaveLength(5)
      // Names are freed too.
      expect(system.localActor('sync')).toBeUndefined()
      rec.stop()
    })
  })

  it('hook-failed reports a throwing decider, and the child is stopped', async () => {
    await withTestSystem(async (system) => {
      const deciderError = new Error('decider broke')
      const childError = new Error('child broke')
      const Child = defineActor<string>({
        receive: () => {
          throw childError
        },
      })
      const Parent = defineActor<'ping'>({
        init: (_p, ctx) => {
          ctx.spawn(Child, { name: 'child' })
        },
        receive: (_s, _m, ctx) => ctx.reply('pong'),
        supervision: {
          decide: () => {
            throw deciderError
          },
        },
      })
      const parent = system.spawn(Parent, { name: 'parent' })
      const child = system.localActor<string>('child')!
      const rec = recordEvents(system)
      const stopped = nextEvent(system, 'stopped', (e) => e.ref.equals(child))
      child.tell('x')
      const stop = await stopped
      expect(stop.reason).toBe('failed')
      expect(stop.error).toBe(childError)
      const hookFailed = ofType(rec.events, 'hook-failed')
      expect(hookFailed).toHaveLength(1)
      expect(hookFailed[0]!.hook).toBe('decide')
      expect(hookFailed[0]!.ref.equals(parent)).toBe(true)
      expect(hookFailed[0]!.error).toBe(deciderError)
      const failed = ofType(rec.events, 'failed')
      expect(failed.map((e) => [e.ref.path, e.directive])).toEqual([['/user/parent/child', 'stop']])
      // The supervisor itself carries on.
      await expect(parent.ask('ping')).resolves.toBe('pong')
      expect(ofType(rec.events, 'restarted')).toEqual([])
      rec.stop()
    })
  })

  it('hook-failed reports a decider that returns something that is not a directive', async () => {
    await withTestSystem(async (system) => {
      const Child = defineActor<string>({
        receive: () => {
          throw new Error('x')
        },
      })
      const Parent = defineActor<never>({
        init: (_p, ctx) => {
          ctx.spawn(Child, { name: 'c' })
        },
        receive: () => {},
        supervision: { decide: () => 'reboot' as never },
      })
      system.spawn(Parent)
      const child = system.localActor<string>('c')!
      const hookFailed = nextEvent(system, 'hook-failed')
      const stopped = nextEvent(system, 'stopped', (e) => e.ref.equals(child))
      child.tell('x')
      expect((await hookFailed).hook).toBe('decide')
      expect((await stopped).reason).toBe('failed')
    })
  })

  it('hook-failed reports a throwing unhandled hook; an asker is still told', async () => {
    await withTestSystem(async (system) => {
      const hookError = new Error('unhandled hook broke')
      const Picky = defineActor<string>({
        receive: (_s, _m, ctx) => ctx.unhandled(),
        unhandled: () => {
          throw hookError
        },
      })
      const ref = system.spawn(Picky)
      const hookFailed = nextEvent(system, 'hook-failed', (e) => e.ref.equals(ref))
      await expect(ref.ask('?', { timeout: 1000 })).rejects.toThrow(/does not handle/)
      const event = await hookFailed
      expect(event.hook).toBe('unhandled')
      expect(event.error).toBe(hookError)
      expect(system.isAlive(ref)).toBe(true)
    })
  })

  it('message events are sent only to listeners that ask for them', async () => {
    await withTestSystem(async (system) => {
      const plain: InspectionEvent[] = []
      const traced: InspectionEvent[] = []
      const stopPlain = system.inspect((e) => plain.push(e))
      const stopTraced = system.inspect((e) => traced.push(e), { messages: true })
      const ref = system.spawn(Counter)
      const probe = createTestProbe(system)
      ref.tell('inc', probe.ref)
      await ref.ask('get')
      expect(ofType(plain, 'message')).toEqual([])
      const messages = ofType(traced, 'message').filter((e) => e.ref.equals(ref))
      expect(messages.map((e) => e.message)).toEqual(['inc', 'get'])
      expect(messages[0]!.sender?.equals(probe.ref)).toBe(true)
      expect(messages[1]!.sender?.path).toBe(`${ref.path}#ask`)
      // Both receive the other events.
      expect(ofType(plain, 'spawned').length).toBeGreaterThan(0)
      expect(ofType(traced, 'spawned').length).toBe(ofType(plain, 'spawned').length)
      // Once the tracing listener leaves, nobody gets message events.
      stopTraced()
      const count = traced.length
      await ref.ask('get')
      expect(traced).toHaveLength(count)
      expect(ofType(plain, 'message')).toEqual([])
      stopPlain()
    })
  })

  it('message events are emitted for process actors too', async () => {
    await withTestSystem(async (system) => {
      const events: InspectionEvent[] = []
      const stop = system.inspect((e) => events.push(e), { messages: true })
      const echo = system.spawn<string>(async (self) => {
        for (;;) self.reply(await self.receive())
      })
      await expect(echo.ask('hi')).resolves.toBe('hi')
      expect(ofType(events, 'message').map((e) => e.message)).toEqual(['hi'])
      stop()
    })
  })

  it('unsubscribing stops delivery', async () => {
    await withTestSystem(async (system) => {
      const events: InspectionEvent[] = []
      const unsubscribe = system.inspect((e) => events.push(e))
      system.spawn(Counter)
      expect(events).toHaveLength(1)
      unsubscribe()
      const ref = system.spawn(Counter)
      await system.stop(ref)
      expect(events).toHaveLength(1)
      // Unsubscribing twice is harmless.
      unsubscribe()
    })
  })

  it('a throwing listener breaks neither the system nor the other listeners', async () => {
    await withTestSystem(async (system) => {
      let thrown = 0
      system.inspect(() => {
        thrown++
        throw new Error('bad listener')
      })
      const rec = recordEvents(system)
      const ref = system.spawn(Counter)
      ref.tell('inc')
      ref.tell('crash')
      await nextEvent(system, 'restarted', (e) => e.ref.equals(ref))
      await expect(ref.ask('get')).resolves.toBe(0)
      await system.stop(ref)
      expect(thrown).toBeGreaterThanOrEqual(4)
      const types = rec.events.map((e) => e.type)
      expect(types).toEqual(['spawned', 'failed', 'restarted', 'stopped'])
      rec.stop()
    })
  })
})

/** An in-memory pino destination whose lines the test can wait for. */
class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = []
  private waiters: {
    match: (line: Record<string, unknown>) => boolean
    resolve: (line: Record<string, unknown>) => void
  }[] = []

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const text of chunk.toString().split('\n')) {
      if (text.trim() === '') continue
      const line = JSON.parse(text) as Record<string, unknown>
      this.lines.push(line)
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(line)) return true
        w.resolve(line)
        return false
      })
    }
    callback()
  }

  waitFor(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 2000,
  ): Promise<Record<string, unknown>> {
    const found = this.lines.find(match)
    if (found !== undefined) return Promise.resolve(found)
    return within(timeoutMs, new Promise((resolve) => this.waiters.push({ match, resolve })), 'the log line')
  }
}

describe('structured logs', () => {
  async function withLoggedSystem(level: string, fn: (system: ActorSystem, sink: LogSink) => Promise<void>) {
    const sink = new LogSink()
    const system = await start({ logger: pino({ level }, sink) })
    try {
      await fn(system, sink)
    } finally {
      await system.shutdown()
    }
  }

  it('a restart logs a warning whose actor field is the actor path and whose msg says why', async () => {
    await withLoggedSystem('info', async (system, sink) => {
      const ref = system.spawn(Counter, { name: 'logged' })
      const restarted = nextEvent(system, 'restarted', (e) => e.ref.equals(ref))
      ref.tell('crash')
      await restarted
      const line = await sink.waitFor((l) => l.level === 40 && l.actor === '/user/logged')
      expect(line.msg).toContain('restarted')
      expect(line.msg).toContain('crash at 0')
      expect((line.err as { message?: string } | undefined)?.message).toBe('crash at 0')
      expect(system.logger).toBeDefined()
    })
  })

  it('a failing stopped hook logs an error naming the actor and the hook', async () => {
    await withLoggedSystem('info', async (system, sink) => {
      const Bad = defineActor<never>({
        receive: () => {},
        stopped: () => {
          throw new Error('cleanup failed')
        },
      })
      const ref = system.spawn(Bad, { name: 'bad' })
      await system.stop(ref)
      const line = await sink.waitFor((l) => l.level === 50 && l.actor === '/user/bad')
      expect(line.hook).toBe('stopped')
      expect(String(line.msg)).toContain('stopped hook')
    })
  })

  it('an actor stopped past its intensity logs an error', async () => {
    await withLoggedSystem('info', async (system, sink) => {
      const ref = system.spawn(Counter, { name: 'doomed' })
      const stopped = nextEvent(system, 'stopped', (e) => e.ref.equals(ref))
      for (let i = 0; i < 4; i++) ref.tell('crash')
      await stopped
      const line = await sink.waitFor((l) => l.level === 50 && l.actor === '/user/doomed')
      expect(String(line.msg)).toContain('is stopped')
    })
  })

  it('dead letters are logged at debug, not at info', async () => {
    await withLoggedSystem('debug', async (system, sink) => {
      const ref = system.spawn(Counter, { name: 'gone' })
      await system.stop(ref)
      ref.tell('inc')
      const line = await sink.waitFor((l) => l.msg === 'dead letter')
      expect(line.level).toBe(20)
      expect(line.to).toBe(ref.address)
      expect(line.reason).toBe('stopped')
    })
    await withLoggedSystem('info', async (system, sink) => {
      const ref = system.spawn(Counter)
      await system.stop(ref)
      ref.tell('inc')
      expect(system.deadLetters).toBe(1)
      expect(sink.lines.filter((l) => l.msg === 'dead letter')).toEqual([])
    })
  })
})
