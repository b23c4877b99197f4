import {
  type ActorSystem,
  defineActor,
  InvalidOptionError,
  type IsolationMode,
  isRef,
  type Ref,
  start,
} from 'troupe'
import { createTestProbe, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'

/** Runs `fn` with a system whose `messages` option is `mode`. */
function withMode<T>(mode: IsolationMode, fn: (system: ActorSystem) => Promise<T>): Promise<T> {
  return withTestSystem(fn, { messages: mode })
}

/** Sends `message` to a probe and returns what the probe received. */
async function roundTrip<T>(system: ActorSystem, message: T, mutateAfterTell?: (m: T) => void): Promise<T> {
  const probe = createTestProbe<T>(system)
  probe.ref.tell(message)
  mutateAfterTell?.(message)
  return probe.expectMessage(undefined, { timeout: 2000 })
}

describe("messages: 'freeze'", () => {
  it('deep-freezes nested objects, arrays and the contents of Maps and Sets', async () => {
    await withMode('freeze', async (system) => {
      const inMap = { v: 1 }
      const mapKey = { k: 1 }
      const inSet = { s: 1 }
      const message = {
        nested: { deeper: { x: 1 } },
        list: [{ y: 1 }, [2, 3]],
        map: new Map<object, object>([[mapKey, inMap]]),
        set: new Set([inSet]),
      }
      const got = await roundTrip(system, message)
      expect(got).toBe(message) // freezing does not copy
      expect(Object.isFrozen(got)).toBe(true)
      expect(Object.isFrozen(got.nested)).toBe(true)
      expect(Object.isFrozen(got.nested.deeper)).toBe(true)
      expect(Object.isFrozen(got.list)).toBe(true)
      expect(Object.isFrozen(got.list[0])).toBe(true)
      expect(Object.isFrozen(got.list[1])).toBe(true)
      expect(Object.isFrozen(inMap)).toBe(true)
      expect(Object.isFrozen(mapKey)).toBe(true)
      expect(Object.isFrozen(inSet)).toBe(true)
    })
  })

  it('the sender cannot mutate what it sent', async () => {
    await withMode('freeze', async (system) => {
      const message = { count: 1, inner: { name: 'a' }, items: [1, 2] }
      const got = await roundTrip(system, message)
      // ES modules are strict: writes to frozen objects throw.
      expect(() => {
        message.count = 2
      }).toThrow(TypeError)
      expect(() => {
        message.inner.name = 'b'
      }).toThrow(TypeError)
      expect(() => {
        message.items.push(3)
      }).toThrow(TypeError)
      expect(() => {
        delete (message as { count?: number }).count
      }).toThrow(TypeError)
      expect(got).toEqual({ count: 1, inner: { name: 'a' }, items: [1, 2] })
    })
  })

  it('Maps and Sets sent in a message cannot be changed by the sender either', async () => {
    await withMode('freeze', async (system) => {
      const map = new Map([['a', 1]])
      const set = new Set([1])
      const got = await roundTrip(system, { map, set })
      expect(() => map.set('b', 2)).toThrow(TypeError)
      expect(() => map.delete('a')).toThrow(TypeError)
      expect(() => set.add(2)).toThrow(TypeError)
      expect(() => set.clear()).toThrow(TypeError)
      expect([...got.map]).toEqual([['a', 1]])
      expect([...got.set]).toEqual([1])
    })
  })

  it('freezes the contents of an object that was already shallowly frozen', async () => {
    await withMode('freeze', async (system) => {
      const inner = { x: 1 }
      const message = Object.freeze({ inner })
      await roundTrip(system, message)
      expect(Object.isFrozen(inner)).toBe(true)
    })
  })

  it('freezes cyclic messages without looping', async () => {
    await withMode('freeze', async (system) => {
      const a: { name: string; self?: unknown; list: unknown[] } = { name: 'a', list: [] }
      a.self = a
      a.list.push(a)
      const got = await roundTrip(system, a)
      expect(got).toBe(a)
      expect(Object.isFrozen(a)).toBe(true)
      expect(Object.isFrozen(a.list)).toBe(true)
    })
  })

  it('passes typed arrays, ArrayBuffers, DataViews and Buffers without throwing', async () => {
    await withMode('freeze', async (system) => {
      const message = {
        bytes: new Uint8Array([1, 2, 3]),
        floats: new Float64Array([1.5]),
        buffer: Buffer.from('hello'),
        raw: new ArrayBuffer(4),
        view: new DataView(new ArrayBuffer(2)),
      }
      const got = await roundTrip(system, message)
      expect(Object.isFrozen(got)).toBe(true)
      expect(got.bytes).toBe(message.bytes)
      expect([...got.bytes]).toEqual([1, 2, 3])
      expect(got.buffer.toString()).toBe('hello')
      // A bare typed array as the message itself.
      const bare = await roundTrip(system, new Uint8Array([9]))
      expect([...bare]).toEqual([9])
    })
  })

  it('passes primitives, null and undefined', async () => {
    await withMode('freeze', async (system) => {
      expect(await roundTrip(system, 42)).toBe(42)
      expect(await roundTrip(system, 'text')).toBe('text')
      expect(await roundTrip(system, null)).toBe(null)
      expect(await roundTrip(system, 10n)).toBe(10n)
    })
  })

  // Small messages are frozen without being recorded as deeply frozen (a cost per object): the
  // result must be the same as for large ones.
  it('a small message sent on is still deeply frozen, and so is what is added around it', async () => {
    await withMode('freeze', async (system) => {
      const small = { n: 1, inner: { tag: 'a' } }
      const first = await roundTrip(system, small)
      expect(first).toBe(small)
      expect(Object.isFrozen(small.inner)).toBe(true)
      // Sent on inside a new, shallowly frozen message beside a new child: all of it is frozen.
      const added = { list: [{ x: 1 }] }
      const wrapped = Object.freeze({ event: small, added })
      const second = await roundTrip(system, wrapped)
      expect(second.event).toBe(small)
      expect(Object.isFrozen(added)).toBe(true)
      expect(Object.isFrozen(added.list)).toBe(true)
      expect(Object.isFrozen(added.list[0])).toBe(true)
      expect(() => {
        ;(added.list[0] as { x: number }).x = 2
      }).toThrow(TypeError)
    })
  })

  it('freezes every level of a message deeper than the small ones, and one with large objects', async () => {
    await withMode('freeze', async (system) => {
      type Level = { depth: number; next?: Level }
      const top: Level = { depth: 0 }
      let at = top
      for (let depth = 1; depth < 20; depth++) {
        at.next = { depth }
        at = at.next
      }
      const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, { i }]))
      await roundTrip(system, { top, wide })
      for (let level: Level | undefined = top; level !== undefined; level = level.next)
        expect(Object.isFrozen(level)).toBe(true)
      for (const value of Object.values(wide)) expect(Object.isFrozen(value)).toBe(true)
      // Sent again, and once more inside another message: still frozen, nothing thrown.
      await roundTrip(system, { again: { top, wide } })
      expect(Object.isFrozen(at)).toBe(true)
    })
  })

  it('freezes a small cyclic message without looping', async () => {
    await withMode('freeze', async (system) => {
      const a: { b?: unknown } = {}
      const b = { a }
      a.b = b
      expect(await roundTrip(system, a)).toBe(a)
      expect(Object.isFrozen(b)).toBe(true)
    })
  })
})

describe('refs inside messages', () => {
  for (const mode of ['freeze', 'clone', 'none'] as const) {
    it(`stay the same usable refs under '${mode}'`, async () => {
      await withMode(mode, async (system) => {
        const target = createTestProbe<string>(system)
        const Forwarder = defineActor<{ replyTo: Ref<string>; more: { refs: Ref<string>[] } }>({
          receive: (_s, msg, ctx) => {
            expect(isRef(msg.replyTo)).toBe(true)
            msg.replyTo.tell('direct')
            msg.more.refs[0]!.tell('nested')
            ctx.reply(msg.replyTo === target.ref && msg.more.refs[0] === target.ref)
          },
        })
        const forwarder = system.spawn(Forwarder)
        const same = await forwarder.ask<boolean>(
          { replyTo: target.ref, more: { refs: [target.ref] } },
          { timeout: 2000 },
        )
        expect(same).toBe(true) // not cloned
        expect(Object.isFrozen(target.ref)).toBe(false) // not frozen into uselessness
        expect(await target.receiveMessages(2, { timeout: 2000 })).toEqual(['direct', 'nested'])
        // The ref still works from the outside, and its address is intact.
        target.ref.tell('again')
        await expect(target.expectMessage()).resolves.toBe('again')
        expect(target.ref.address).toMatch(/^troupe:\/\/local\/user\//)
      })
    })
  }

  it("a ref inside a Map survives 'clone' as the same ref", async () => {
    await withMode('clone', async (system) => {
      const target = createTestProbe<string>(system)
      const got = await roundTrip(system, new Map([['to', target.ref]]))
      expect(got.get('to')).toBe(target.ref)
    })
  })
})

describe("messages: 'clone'", () => {
  it('gives the receiver a copy: changing the original after the tell changes nothing', async () => {
    await withMode('clone', async (system) => {
      const message = { count: 1, inner: { name: 'a' }, items: [1, 2] }
      const got = await roundTrip(system, message, (m) => {
        m.count = 99
        m.inner.name = 'changed'
        m.items.push(3)
      })
      expect(got).not.toBe(message)
      expect(got).toEqual({ count: 1, inner: { name: 'a' }, items: [1, 2] })
      expect(Object.isFrozen(got)).toBe(false)
    })
  })

  it('keeps cycles and shared references', async () => {
    await withMode('clone', async (system) => {
      const shared = { v: 1 }
      const a: { self?: unknown; left: object; right: object } = { left: shared, right: shared }
      a.self = a
      const got = await roundTrip(system, a)
      expect(got).not.toBe(a)
      expect(got.self).toBe(got)
      expect(got.left).toBe(got.right)
      expect(got.left).not.toBe(shared)
    })
  })

  it('copies Maps, Sets, Dates and typed arrays', async () => {
    await withMode('clone', async (system) => {
      const key = { k: 1 }
      const message = {
        map: new Map<object, { v: number }>([[key, { v: 1 }]]),
        set: new Set([{ s: 1 }]),
        date: new Date(1_700_000_000_000),
        bytes: new Uint8Array([1, 2, 3]),
        raw: new Uint16Array([7]).buffer,
      }
      const got = await roundTrip(system, message, (m) => {
        m.map.get(key)!.v = 99
        m.map.set({ k: 2 }, { v: 2 })
        m.set.add({ s: 2 })
        m.date.setTime(0)
        m.bytes[0] = 42
        new Uint16Array(m.raw)[0] = 8
      })
      expect(got.map).toBeInstanceOf(Map)
      expect(got.map).not.toBe(message.map)
      expect([...got.map.values()]).toEqual([{ v: 1 }])
      const [gotKey] = [...got.map.keys()]
      expect(gotKey).toEqual({ k: 1 })
      expect(gotKey).not.toBe(key)
      expect(got.set).toBeInstanceOf(Set)
      expect([...got.set]).toEqual([{ s: 1 }])
      expect(got.date).toBeInstanceOf(Date)
      expect(got.date.getTime()).toBe(1_700_000_000_000)
      expect(got.bytes).toBeInstanceOf(Uint8Array)
      expect([...got.bytes]).toEqual([1, 2, 3])
      expect(got.raw).toBeInstanceOf(ArrayBuffer)
      expect(new Uint16Array(got.raw)[0]).toBe(7)
    })
  })

  it('drops prototypes as structuredClone does', async () => {
    await withMode('clone', async (system) => {
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
      }
      const got = await roundTrip(system, new Point(1, 2))
      expect(got).toEqual({ x: 1, y: 2 })
      expect(got).not.toBeInstanceOf(Point)
    })
  })

  it('refuses a function at tell with a DataCloneError, and nothing is delivered', async () => {
    await withMode('clone', async (system) => {
      const probe = createTestProbe<unknown>(system)
      // The implementation throws synchronously from tell (as postMessage does): a message that
      // cannot be isolated is a programming error, not an undeliverable message.
      let error: unknown
      try {
        probe.ref.tell({ callback: () => 1 })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(DOMException)
      expect((error as DOMException).name).toBe('DataCloneError')
      probe.ref.tell('after')
      await expect(probe.expectMessage()).resolves.toBe('after')
    })
  })

  it('an ask with a function in clone mode rejects with DataCloneError and leaves no pending ask', async () => {
    await withMode('clone', async (system) => {
      const probe = createTestProbe<unknown>(system)
      let result: Promise<unknown> | undefined
      let thrown: unknown
      try {
        result = probe.ref.ask({ callback: () => 1 }, { timeout: 20 })
      } catch (e) {
        thrown = e
      }
      expect(thrown).toBeUndefined()
      const error = await result?.catch((e: unknown) => e)
      expect((error as DOMException | undefined)?.name).toBe('DataCloneError')
    })
  })
})

describe('replies', () => {
  const Keeper = defineActor<'list' | 'size', { items: string[] }>({
    init: () => ({ items: ['a'] }),
    receive: (state, msg, ctx) => {
      ctx.reply(msg === 'list' ? state.items : state.items.length)
      return state
    },
  })
  const Meddler = defineActor<Ref<'list' | 'size'>>({
    receive: async (_s, keeper, ctx) => {
      const items = await keeper.ask<string[]>('list')
      try {
        items.push('injected')
      } catch {
        // a frozen reply refuses the change, which is what isolation promises
      }
      ctx.reply(await keeper.ask<number>('size'))
    },
  })

  for (const mode of ['freeze', 'clone'] as const) {
    it(`an ask reply is isolated under '${mode}': the asker cannot change the replier's state`, async () => {
      await withMode(mode, async (system) => {
        const keeper = system.spawn(Keeper)
        const meddler = system.spawn(Meddler)
        await expect(meddler.ask(keeper, { timeout: 2000 })).resolves.toBe(1)
      })
    })
  }
})

describe("messages: 'none'", () => {
  it('passes the very same object, neither frozen nor copied', async () => {
    await withMode('none', async (system) => {
      const message = { inner: { x: 1 } }
      const got = await roundTrip(system, message)
      expect(got).toBe(message)
      expect(Object.isFrozen(message)).toBe(false)
      expect(Object.isFrozen(message.inner)).toBe(false)
    })
  })
})

function restoreNodeEnv(saved: string | undefined): void {
  if (saved === undefined) delete process.env.NODE_ENV
  else process.env.NODE_ENV = saved
}

describe('the messages option', () => {
  it("defaults to 'freeze' outside production", async () => {
    const saved = process.env.NODE_ENV
    try {
      process.env.NODE_ENV = 'test'
      await withTestSystem(async (system) => {
        const message = { inner: { x: 1 } }
        await roundTrip(system, message)
        expect(Object.isFrozen(message.inner)).toBe(true)
      })
      delete process.env.NODE_ENV
      await withTestSystem(async (system) => {
        const message = { inner: { x: 1 } }
        await roundTrip(system, message)
        expect(Object.isFrozen(message.inner)).toBe(true)
      })
    } finally {
      restoreNodeEnv(saved)
    }
  })

  it("defaults to 'none' when NODE_ENV=production", async () => {
    const saved = process.env.NODE_ENV
    try {
      process.env.NODE_ENV = 'production'
      await withTestSystem(async (system) => {
        const message = { inner: { x: 1 } }
        const got = await roundTrip(system, message)
        expect(got).toBe(message)
        expect(Object.isFrozen(message)).toBe(false)
      })
    } finally {
      restoreNodeEnv(saved)
    }
  })

  it('rejects an invalid value with InvalidOptionError naming messages', async () => {
    for (const messages of ['copy', 'FREEZE', '', 1]) {
      const error = await start({ logLevel: 'silent', messages: messages as IsolationMode }).then(
        async (system) => {
          await system.shutdown()
          return undefined
        },
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as InvalidOptionError).option).toBe('messages')
      expect((error as Error).message).toContain("'messages'")
    }
  })
})
