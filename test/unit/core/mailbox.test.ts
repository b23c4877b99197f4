import fc from 'fast-check'
import {
  ActorStoppedError,
  type ActorSystem,
  defineActor,
  InvalidOptionError,
  MailboxFullError,
  type MailboxOptions,
  type Ref,
  Terminated,
} from 'troupe'
import { type Deferred, deferred, type EventOf, recordEvents, withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { Mailbox } from '../../../src/core/mailbox.ts'

// ---------------------------------------------------------------------------------------------
// The ring buffer itself
// ---------------------------------------------------------------------------------------------

function contents(mb: Mailbox): [unknown, unknown][] {
  const out: [unknown, unknown][] = []
  for (let i = 0; i < mb.length; i++) out.push([mb.messageAt(i), mb.senderAt(i)])
  return out
}

function drain(mb: Mailbox): [unknown, unknown][] {
  const out: [unknown, unknown][] = []
  while (mb.length > 0) {
    out.push([mb.peekMessage(), mb.peekSender()])
    mb.drop()
  }
  return out
}

describe('Mailbox (ring buffer)', () => {
  it('starts empty', () => {
    const mb = new Mailbox()
    expect(mb.length).toBe(0)
  })

  it('keeps FIFO order while it grows many times', () => {
    const mb = new Mailbox()
    for (let i = 0; i < 1000; i++) mb.push(i, `s${i}`)
    expect(mb.length).toBe(1000)
    const out = drain(mb)
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => [i, `s${i}`]))
    expect(mb.length).toBe(0)
  })

  it('keeps FIFO order across wrap-around, and across growth while wrapped', () => {
    const mb = new Mailbox()
    const model: number[] = []
    let next = 0
    // Move the head around the (initially 4-pair) ring many times without growing it.
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 3; k++) {
        mb.push(next, -next)
        model.push(next++)
      }
      for (let k = 0; k < 3; k++) {
        expect(mb.peekMessage()).toBe(model[0])
        expect(mb.peekSender()).toBe(-model[0]!)
        mb.drop()
        model.shift()
      }
    }
    // Now the head sits somewhere in the middle: fill past capacity so that grow() has to unwrap.
    for (let round = 0; round < 3; round++) {
      mb.push(next, -next)
      model.push(next++)
      mb.drop()
      model.shift()
    }
    for (let k = 0; k < 37; k++) {
      mb.push(next, -next)
      model.push(next++)
    }
    expect(contents(mb)).toEqual(model.map((m) => [m, -m]))
    expect(drain(mb)).toEqual(model.map((m) => [m, -m]))
  })

  it('keeps a message and its sender together (undefined senders too)', () => {
    const mb = new Mailbox()
    const sender = { who: 'a' }
    mb.push('x', sender)
    mb.push('y', undefined)
    mb.push(undefined, 'z-sender')
    expect(contents(mb)).toEqual([
      ['x', sender],
      ['y', undefined],
      [undefined, 'z-sender'],
    ])
    expect(mb.senderAt(0)).toBe(sender)
  })

  it('removeAt keeps the order of the others (head, middle, tail, wrapped)', () => {
    const mb = new Mailbox()
    // Wrap the head first.
    for (let i = 0; i < 3; i++) mb.push(-1, -1)
    for (let i = 0; i < 3; i++) mb.drop()
    for (let i = 0; i < 8; i++) mb.push(i, `s${i}`)
    mb.removeAt(4)
    expect(contents(mb)).toEqual([0, 1, 2, 3, 5, 6, 7].map((i) => [i, `s${i}`]))
    mb.removeAt(0)
    expect(contents(mb)).toEqual([1, 2, 3, 5, 6, 7].map((i) => [i, `s${i}`]))
    mb.removeAt(mb.length - 1)
    expect(contents(mb)).toEqual([1, 2, 3, 5, 6].map((i) => [i, `s${i}`]))
    mb.push(8, 's8')
    expect(drain(mb)).toEqual([1, 2, 3, 5, 6, 8].map((i) => [i, `s${i}`]))
  })

  it('behaves like an array of pairs (property)', () => {
    type Command = { op: 'push'; value: number } | { op: 'drop' } | { op: 'removeAt'; at: number }
    const command: fc.Arbitrary<Command> = fc.oneof(
      { weight: 5, arbitrary: fc.integer().map((value) => ({ op: 'push' as const, value })) },
      { weight: 2, arbitrary: fc.constant({ op: 'drop' as const }) },
      { weight: 2, arbitrary: fc.nat(1000).map((at) => ({ op: 'removeAt' as const, at })) },
    )
    fc.assert(
      fc.property(fc.array(command, { maxLength: 300 }), (commands) => {
        const mb = new Mailbox()
        const model: [number, string][] = []
        for (const c of commands) {
          if (c.op === 'push') {
            mb.push(c.value, `from ${c.value}`)
            model.push([c.value, `from ${c.value}`])
          } else if (model.length === 0) {
            continue
          } else if (c.op === 'drop') {
            expect(mb.peekMessage()).toBe(model[0]![0])
            expect(mb.peekSender()).toBe(model[0]![1])
            mb.drop()
            model.shift()
          } else {
            const at = c.at % model.length
            mb.removeAt(at)
            model.splice(at, 1)
          }
          expect(mb.length).toBe(model.length)
        }
        expect(contents(mb)).toEqual(model)
        expect(drain(mb)).toEqual(model)
      }),
      { numRuns: 300 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Bounded mailboxes through the public API
// ---------------------------------------------------------------------------------------------

type GateMsg = { type: 'block' } | { type: 'item'; n: number }

interface Gate {
  /** Resolves when the handler starts waiting on this gate. */
  entered: Promise<void>
  open(): void
}

/**
 * An actor whose handler holds its mailbox on each `block` until the test opens that gate, and
 * records the items it handles.
 */
function gatedActor(system: ActorSystem, mailbox: MailboxOptions) {
  const gates: { entered: Deferred<void>; opened: Deferred<void> }[] = []
  let blocks = 0
  const handled: number[] = []
  let waiters: { count: number; done: Deferred<void> }[] = []
  const Gated = defineActor<GateMsg>({
    receive: async (_state, msg, ctx) => {
      if (msg.type === 'block') {
        const gate = gates[blocks++]!
        gate.entered.resolve()
        await gate.opened.promise
      } else {
        handled.push(msg.n)
        if (ctx.sender !== undefined) ctx.reply(msg.n)
        waiters = waiters.filter((w) => {
          if (handled.length < w.count) return true
          w.done.resolve()
          return false
        })
      }
    },
  })
  const ref = system.spawn(Gated, { mailbox })
  const block = (): Gate => {
    const gate = { entered: deferred(), opened: deferred() }
    gates.push(gate)
    ref.tell({ type: 'block' })
    return { entered: gate.entered.promise, open: () => gate.opened.resolve() }
  }
  return {
    ref,
    handled,
    /** Queues a `block` message; its gate is closed until opened. */
    block,
    /** Tells `block` and resolves once the handler holds the mailbox (which is then empty). */
    async close(): Promise<void> {
      await block().entered
    },
    /** Opens every gate made so far. */
    open(): void {
      for (const gate of gates) gate.opened.resolve()
    },
    /** Resolves once `count` items have been handled in total. */
    handledCount(count: number): Promise<void> {
      if (handled.length >= count) return Promise.resolve()
      const done = deferred()
      waiters.push({ count, done })
      return done.promise
    },
  }
}

const item = (n: number): GateMsg => ({ type: 'item', n })

function deadLettersOf(events: ReturnType<typeof recordEvents>['events'], ref: Ref) {
  return events.filter((e): e is EventOf<'dead-letter'> => e.type === 'dead-letter' && e.to.equals(ref))
}

/** Settles like `promise`, or rejects if it has not settled within `ms`. */
function within<T>(ms: number, promise: Promise<T>, what = 'the promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** Lets every pending microtask and one turn of the event loop run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('bounded mailboxes', () => {
  it("drop-newest refuses the newest message with dead-letter reason 'mailbox-full'", async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 3, overflow: 'drop-newest' })
      await a.close()
      const rec = recordEvents(system)
      for (let n = 1; n <= 5; n++) a.ref.tell(item(n))
      const dead = deadLettersOf(rec.events, a.ref)
      expect(dead.map((e) => [e.message, e.reason])).toEqual([
        [item(4), 'mailbox-full'],
        [item(5), 'mailbox-full'],
      ])
      expect(system.deadLetters).toBe(2)
      a.open()
      await a.handledCount(3)
      // After the drain there is room again.
      a.ref.tell(item(6))
      await a.handledCount(4)
      expect(a.handled).toEqual([1, 2, 3, 6])
      rec.stop()
    })
  })

  it('drop-newest rejects an ask that finds the mailbox full with MailboxFullError', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 2, overflow: 'drop-newest' })
      await a.close()
      a.ref.tell(item(1))
      a.ref.tell(item(2))
      const error = await a.ref.ask(item(3), { timeout: 5000 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MailboxFullError)
      expect((error as MailboxFullError).capacity).toBe(2)
      expect((error as MailboxFullError).target).toBe(a.ref.address)
      a.open()
      await a.handledCount(2)
      expect(a.handled).toEqual([1, 2])
    })
  })

  it('drop-newest: send into a full mailbox does not resolve as if the message were queued', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 1, overflow: 'drop-newest' })
      await a.close()
      a.ref.tell(item(1))
      await expect(a.ref.send(item(2))).rejects.toBeInstanceOf(MailboxFullError)
      a.open()
      await a.handledCount(1)
      expect(a.handled).toEqual([1])
    })
  })

  it('drop-oldest evicts the oldest message to dead letters and keeps the rest in order', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 3, overflow: 'drop-oldest' })
      await a.close()
      const rec = recordEvents(system)
      const oldest = a.ref.ask<number>(item(1), { timeout: 5000 })
      a.ref.tell(item(2))
      a.ref.tell(item(3))
      expect(deadLettersOf(rec.events, a.ref)).toEqual([])
      a.ref.tell(item(4))
      a.ref.tell(item(5))
      const dead = deadLettersOf(rec.events, a.ref)
      expect(dead.map((e) => [e.message, e.reason])).toEqual([
        [item(1), 'mailbox-full'],
        [item(2), 'mailbox-full'],
      ])
      // The evicted ask is told at once.
      const error = await oldest.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(MailboxFullError)
      expect((error as MailboxFullError).capacity).toBe(3)
      // A send under drop-oldest always gets in (evicting the oldest).
      await a.ref.send(item(6))
      a.open()
      await a.handledCount(3)
      expect(a.handled).toEqual([4, 5, 6])
      rec.stop()
    })
  })

  it('drop-oldest never evicts a Terminated signal queued in the mailbox', async () => {
    await withTestSystem(async (system) => {
      const gate = deferred()
      const entered = deferred()
      const terminated = deferred<Terminated>()
      const handled: unknown[] = []
      const Watcher = defineActor<{ watch: Ref } | 'block' | number>({
        receive: async (_s, msg, ctx) => {
          if (msg === 'block') {
            entered.resolve()
            await gate.promise
          } else if (typeof msg === 'object') {
            ctx.watch(msg.watch)
            ctx.reply('watching')
          } else handled.push(msg)
        },
        signal: (_s, signal) => {
          if (signal instanceof Terminated) terminated.resolve(signal)
        },
      })
      const watcher = system.spawn(Watcher, { mailbox: { capacity: 2, overflow: 'drop-oldest' } })
      const target = system.spawn(defineActor<never>({ receive: () => {} }))
      await watcher.ask({ watch: target }, { timeout: 2000 })
      watcher.tell('block')
      await entered.promise
      await system.stop(target) // queues Terminated in the watcher's mailbox
      watcher.tell(1)
      watcher.tell(2)
      gate.resolve()
      const signal = await within(500, terminated.promise, 'the Terminated signal')
      expect(signal.ref.equals(target)).toBe(true)
    })
  })

  it('fail: a tell goes to dead letters, ask and send reject with MailboxFullError', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 2, overflow: 'fail' })
      await a.close()
      a.ref.tell(item(1))
      await a.ref.send(item(2))
      const rec = recordEvents(system)
      a.ref.tell(item(3))
      const asked = await a.ref.ask(item(4), { timeout: 5000 }).catch((e: unknown) => e)
      const sent = await a.ref.send(item(5)).catch((e: unknown) => e)
      expect(asked).toBeInstanceOf(MailboxFullError)
      expect(sent).toBeInstanceOf(MailboxFullError)
      expect((sent as MailboxFullError).target).toBe(a.ref.address)
      expect((sent as MailboxFullError).capacity).toBe(2)
      const dead = deadLettersOf(rec.events, a.ref)
      expect(dead.map((e) => [e.message, e.reason])).toEqual([
        [item(3), 'mailbox-full'],
        [item(4), 'mailbox-full'],
        [item(5), 'mailbox-full'],
      ])
      a.open()
      await a.handledCount(2)
      expect(a.handled).toEqual([1, 2])
      rec.stop()
    })
  })

  it('fail is the default policy of a bounded mailbox', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 1 })
      await a.close()
      a.ref.tell(item(1))
      await expect(a.ref.send(item(2))).rejects.toBeInstanceOf(MailboxFullError)
      a.open()
      await a.handledCount(1)
    })
  })

  it('backpressure: tell is refused to dead letters, send waits for room and resolves in order', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 2, overflow: 'backpressure' })
      await a.close()
      await a.ref.send(item(1))
      await a.ref.send(item(2))
      const rec = recordEvents(system)
      const resolved: number[] = []
      const sends = [3, 4, 5].map((n) => a.ref.send(item(n)).then(() => resolved.push(n)))
      // A tell never waits: it is refused while the mailbox is full.
      a.ref.tell(item(99))
      expect(deadLettersOf(rec.events, a.ref).map((e) => [e.message, e.reason])).toEqual([
        [item(99), 'mailbox-full'],
      ])
      await flush()
      await flush()
      expect(resolved).toEqual([])
      a.open()
      await Promise.all(sends)
      expect(resolved).toEqual([3, 4, 5])
      await a.handledCount(5)
      expect(a.handled).toEqual([1, 2, 3, 4, 5])
      // Nothing waiting was dropped.
      expect(deadLettersOf(rec.events, a.ref)).toHaveLength(1)
      rec.stop()
    })
  })

  it('backpressure: a send keeps its place behind earlier waiting sends even when room appears', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 1, overflow: 'backpressure' })
      await a.close()
      a.ref.tell(item(1))
      const order: number[] = []
      const first = a.ref.send(item(2)).then(() => order.push(2))
      const second = a.ref.send(item(3)).then(() => order.push(3))
      a.open()
      await Promise.all([first, second])
      const third = a.ref.send(item(4)).then(() => order.push(4))
      await third
      await a.handledCount(4)
      expect(order).toEqual([2, 3, 4])
      expect(a.handled).toEqual([1, 2, 3, 4])
    })
  })

  it('backpressure: send with an aborted signal rejects with its reason and the message is never delivered', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 1, overflow: 'backpressure' })
      await a.close()
      a.ref.tell(item(1))
      const preReason = new Error('already aborted')
      await expect(a.ref.send(item(2), { signal: AbortSignal.abort(preReason) })).rejects.toBe(preReason)
      const controller = new AbortController()
      const waiting = a.ref.send(item(3), { signal: controller.signal })
      const later = a.ref.send(item(4))
      const reason = new Error('gave up')
      controller.abort(reason)
      await expect(waiting).rejects.toBe(reason)
      a.open()
      await later
      await a.handledCount(2)
      expect(a.handled).toEqual([1, 4])
    })
  })

  it('backpressure: a waiting send rejects with ActorStoppedError when the actor stops', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 1, overflow: 'backpressure' })
      await a.close()
      a.ref.tell(item(1))
      const waiting = a.ref.send(item(2))
      await system.stop(a.ref)
      await expect(waiting).rejects.toBeInstanceOf(ActorStoppedError)
      await expect(a.ref.send(item(3))).rejects.toBeInstanceOf(ActorStoppedError)
    })
  })

  it('backpressure: a message that waited for room is isolated like any other', async () => {
    await withTestSystem(async (system) => {
      const seen: { n: number }[] = []
      const both = deferred()
      const entered = deferred()
      const gate = deferred()
      const Gated = defineActor<{ n: number } | 'block'>({
        receive: async (_s, msg) => {
          if (msg === 'block') {
            entered.resolve()
            await gate.promise
          } else if (seen.push(msg) === 2) both.resolve()
        },
      })
      const ref = system.spawn(Gated, { mailbox: { capacity: 1, overflow: 'backpressure' } })
      ref.tell('block')
      await entered.promise
      ref.tell({ n: 0 })
      const message = { n: 1 }
      const sending = ref.send(message)
      gate.resolve()
      await sending
      await both.promise
      expect(Object.isFrozen(seen[0])).toBe(true)
      expect(seen[1]).toEqual({ n: 1 })
      expect(Object.isFrozen(seen[1])).toBe(true)
      expect(() => {
        message.n = 2
      }).toThrow(TypeError)
    })
  })

  it('backpressure: an ask into a full mailbox waits for room (as the option documents)', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { capacity: 1, overflow: 'backpressure' })
      await a.close()
      a.ref.tell(item(1))
      const asked = a.ref.ask<number>(item(2), { timeout: 5000 })
      a.open()
      await expect(asked).resolves.toBe(2)
    })
  })
})

describe('high-water mark', () => {
  it('emits one mailbox-high-water event while above, and again after draining below half', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { highWater: 10 })
      const rec = recordEvents(system)
      const highWater = () =>
        rec.events.filter((e): e is EventOf<'mailbox-high-water'> => e.type === 'mailbox-high-water')

      await a.close()
      for (let n = 1; n <= 10; n++) a.ref.tell(item(n))
      expect(highWater()).toEqual([])
      a.ref.tell(item(11))
      expect(highWater()).toHaveLength(1)
      expect(highWater()[0]!.ref.equals(a.ref)).toBe(true)
      expect(highWater()[0]!.size).toBe(11)
      for (let n = 12; n <= 40; n++) a.ref.tell(item(n))
      expect(highWater()).toHaveLength(1)
      a.open()
      await a.handledCount(40)
      expect(highWater()).toHaveLength(1)

      // Drained below half: re-armed.
      await a.close()
      for (let n = 41; n <= 60; n++) a.ref.tell(item(n))
      expect(highWater()).toHaveLength(2)
      expect(highWater()[1]!.size).toBe(11)
      a.open()
      await a.handledCount(60)
      expect(a.handled).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
      rec.stop()
    })
  })

  it('does not re-arm while the mailbox stays at or above half of the mark', async () => {
    await withTestSystem(async (system) => {
      const a = gatedActor(system, { highWater: 10 })
      const rec = recordEvents(system)
      const count = () => rec.events.filter((e) => e.type === 'mailbox-high-water').length
      const first = a.block()
      await first.entered
      for (let n = 1; n <= 11; n++) a.ref.tell(item(n))
      expect(count()).toBe(1)
      // Behind the 11 items: another gate, then 5 items that stay queued while it is closed.
      const second = a.block()
      for (let n = 12; n <= 16; n++) a.ref.tell(item(n))
      first.open()
      await second.entered
      expect(a.handled).toHaveLength(11)
      // The mailbox went down to 6 and holds 5 (= half the mark): not re-armed yet.
      for (let n = 17; n <= 30; n++) a.ref.tell(item(n))
      expect(count()).toBe(1)
      second.open()
      await a.handledCount(30)
      expect(count()).toBe(1)
      rec.stop()
    })
  })

  it('rejects a bad highWater with InvalidOptionError naming mailbox.highWater', async () => {
    await withTestSystem(async (system) => {
      const Any = defineActor<unknown>({ receive: () => {} })
      const error = (() => {
        try {
          system.spawn(Any, { mailbox: { highWater: 0 } })
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as InvalidOptionError).option).toBe('mailbox.highWater')
    })
  })
})
