import { defineActor, type Ref, Terminated } from 'troupe'
import { createTestProbe, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

type Log = string[]

/** A node of a tree: spawns `depth` levels of `width` children and logs its hooks. */
const TreeNode = defineActor<'noop', undefined, { log: Log; label: string; depth: number; width: number }>({
  init: ({ log, label, depth, width }, ctx) => {
    log.push(`init ${label}`)
    for (let i = 0; i < (depth > 0 ? width : 0); i++) {
      ctx.spawn(TreeNode, { props: { log, label: `${label}.${i}`, depth: depth - 1, width } })
    }
    return undefined
  },
  receive: () => undefined,
})

describe('lifecycle', () => {
  it('runs started before the first message and stopped once at the end', async () => {
    await withTestSystem(async (system) => {
      const log: Log = []
      const A = defineActor<string, number>({
        init: () => {
          log.push('init')
          return 0
        },
        started: () => {
          log.push('started')
        },
        receive: (n, message, ctx) => {
          log.push(`receive ${message}`)
          ctx.reply(n + 1)
          return n + 1
        },
        stopped: (n, _ctx, reason) => {
          log.push(`stopped ${n} ${reason}`)
        },
      })
      const a = system.spawn(A)
      expect(await a.ask('x')).toBe(1)
      await system.stop(a)
      await system.stop(a)
      expect(log).toEqual(['init', 'started', 'receive x', 'stopped 1 stopped'])
    })
  })

  it('an async started hook holds the mailbox until it settles', async () => {
    await withTestSystem(async (system) => {
      let open!: () => void
      const gate = new Promise<void>((r) => {
        open = r
      })
      const seen: string[] = []
      const A = defineActor<string>({
        started: async () => {
          await gate
          seen.push('started')
        },
        receive: (_s, m, ctx) => {
          seen.push(m)
          ctx.reply(m)
        },
      })
      const a = system.spawn(A)
      const reply = a.ask('first')
      await Promise.resolve()
      expect(seen).toEqual([])
      open()
      expect(await reply).toBe('first')
      expect(seen).toEqual(['started', 'first'])
    })
  })

  it('stops children first, depth first, and every stopped hook runs once', async () => {
    await withTestSystem(async (system) => {
      const stops: string[] = []
      const Node = defineActor<'noop', undefined, { label: string; depth: number }>({
        init: ({ label, depth }, ctx) => {
          for (let i = 0; depth > 0 && i < 2; i++)
            ctx.spawn(Node, { props: { label: `${label}.${i}`, depth: depth - 1 } })
        },
        receive: () => undefined,
        stopped: (_s, ctx) => {
          stops.push(ctx.self.path)
        },
      })
      const root = system.spawn(Node, { props: { label: 'r', depth: 2 }, name: 'root' })
      await system.stop(root)
      expect(stops).toHaveLength(7)
      // Every child's stop comes before its parent's.
      for (const path of stops) {
        const parent = path.slice(0, path.lastIndexOf('/'))
        if (stops.includes(parent)) expect(stops.indexOf(path)).toBeLessThan(stops.indexOf(parent))
      }
      expect(stops.at(-1)).toBe('/user/root')
      expect(system.localActor('root')).toBeUndefined()
    })
  })

  it('a child stopping itself with ctx.stop() finishes the current message first', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe<string>(system)
      const A = defineActor<string>({
        receive: (_s, m, ctx) => {
          if (m === 'quit') ctx.stop()
          probe.ref.tell(`handled ${m}`)
        },
        stopped: () => probe.ref.tell('stopped'),
      })
      const a = system.spawn(A)
      a.tell('quit')
      a.tell('after')
      expect(await probe.receiveMessages(2)).toEqual(['handled quit', 'stopped'])
      const t = await system.watch(a)
      expect(t.reason).toBe('normal')
    })
  })

  it('shutdown stops the whole tree and resolves', async () => {
    const log: Log = []
    await withTestSystem(async (system) => {
      system.spawn(TreeNode, { props: { log, label: 'a', depth: 3, width: 3 } })
      expect(log.filter((l) => l.startsWith('init'))).toHaveLength(1 + 3 + 9 + 27)
    })
  })
})

describe('watch', () => {
  it('delivers Terminated exactly once, with the reason', async () => {
    await withTestSystem(async (system) => {
      const seen: Terminated[] = []
      const target = system.spawn(defineActor<string>({ receive: () => undefined }))
      const Watcher = defineActor<Ref | 'sync'>({
        receive: (_s, m, ctx) => {
          if (m !== 'sync') {
            ctx.watch(m)
            ctx.watch(m)
          }
          ctx.reply(m)
        },
        signal: (_s, signal) => {
          if (signal instanceof Terminated) seen.push(signal)
        },
      })
      const w = system.spawn(Watcher)
      await w.ask(target)
      await system.stop(target)
      const probe = createTestProbe(system)
      await probe.expectTerminated(target)
      // the watcher has had its chance to see duplicates: its mailbox is drained by now
      await w.ask('sync')
      expect(seen.map((t) => t.reason)).toEqual(['stopped'])
      expect(seen[0]?.ref.equals(target)).toBe(true)
    })
  })

  it('watching a stopped actor delivers Terminated at once; unwatch prevents delivery', async () => {
    await withTestSystem(async (system) => {
      const probe = createTestProbe(system)
      const a = system.spawn(defineActor<string>({ receive: () => undefined }))
      await system.stop(a)
      const t = await probe.expectTerminated(a)
      expect(t.ref.equals(a)).toBe(true)

      const b = system.spawn(defineActor<string>({ receive: () => undefined }))
      const Watcher = defineActor<'watch' | 'unwatch'>({
        receive: (_s, m, ctx) => {
          if (m === 'watch') ctx.watch(b)
          else ctx.unwatch(b)
          ctx.reply(m)
        },
        signal: (_s, signal) => probe.ref.tell(signal),
      })
      const w = system.spawn(Watcher)
      await w.ask('watch')
      await w.ask('unwatch')
      await system.stop(b)
      await probe.expectNoMessage(30)
    })
  })

  it('a failed and stopped actor is reported with reason failed and the error', async () => {
    await withTestSystem(
      async (system) => {
        const a = system.spawn(
          defineActor<string>({
            receive: () => {
              throw new Error('boom')
            },
          }),
        )
        const terminated = system.watch(a)
        a.tell('x')
        const t = await terminated
        expect(t.reason).toBe('failed')
        expect((t.error as Error).message).toBe('boom')
      },
      { supervision: { decide: () => 'stop' } },
    )
  })

  it('keeps the children in spawn order as the first, a middle and the last one stop', async () => {
    await withTestSystem(async (system) => {
      type Msg = { type: 'spawn'; name: string } | { type: 'stop'; name: string } | { type: 'list' }
      const Leaf = defineActor<'noop'>({ receive: () => undefined })
      const Parent = defineActor<Msg>({
        receive: (_s, msg, ctx) => {
          if (msg.type === 'spawn') ctx.spawn(Leaf, { name: msg.name })
          else if (msg.type === 'stop') ctx.stop(ctx.children().find((c) => c.name === msg.name))
          else ctx.reply(ctx.children().map((c) => c.name))
        },
      })
      const parent = system.spawn(Parent)
      const list = () => parent.ask<string[]>({ type: 'list' })
      for (const name of ['a', 'b', 'c', 'd', 'e']) parent.tell({ type: 'spawn', name })
      expect(await list()).toEqual(['a', 'b', 'c', 'd', 'e'])
      const stopAndWait = async (name: string) => {
        const child = system.localActor(name)!
        const stopped = system.watch(child)
        parent.tell({ type: 'stop', name })
        await stopped
      }
      await stopAndWait('a')
      expect(await list()).toEqual(['b', 'c', 'd', 'e'])
      await stopAndWait('c')
      expect(await list()).toEqual(['b', 'd', 'e'])
      await stopAndWait('e')
      expect(await list()).toEqual(['b', 'd'])
      parent.tell({ type: 'spawn', name: 'f' })
      expect(await list()).toEqual(['b', 'd', 'f'])
      await stopAndWait('b')
      await stopAndWait('f')
      expect(await list()).toEqual(['d'])
      await stopAndWait('d')
      expect(await list()).toEqual([])
      parent.tell({ type: 'spawn', name: 'g' })
      parent.tell({ type: 'spawn', name: 'h' })
      expect(await list()).toEqual(['g', 'h'])
    })
  })
})
