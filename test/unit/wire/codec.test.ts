import { inspect, types } from 'node:util'
import fc from 'fast-check'
import { defineActor } from 'troupe'
import { withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { CancelledError, TimeoutError, TroupeError } from '../../../src/concurrency/errors.ts'
import {
  ActorStoppedError,
  AskTimeoutError,
  InvalidOptionError,
  ReceiveTimeoutError,
} from '../../../src/core/errors.ts'
import { isRef, type Ref } from '../../../src/core/ref.ts'
import {
  type Codec,
  createCodec,
  DEFAULT_MAX_DEPTH,
  EncodeError,
  type Envelope,
  ExtensionType,
  ProtocolError,
} from '../../../src/wire/index.ts'
import { FakeRef } from '../../support/fake-ref.ts'

class InsufficientFundsError extends TroupeError {
  constructor(
    readonly account: string,
    readonly missing: number,
  ) {
    super(`account ${account} lacks ${missing}`)
  }
}

let constructed = 0
class CountedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CountedError'
    constructed++
  }
}

const address = (path: string) => `troupe://other@127.0.0.1:9701${path}`

function setup(options: { maxDepth?: number; errorStacks?: boolean } = {}): {
  codec: Codec
  resolved: string[]
} {
  const resolved: string[] = []
  const codec = createCodec({
    resolveRef: (address) => {
      resolved.push(address)
      return new FakeRef(address)
    },
    errorClasses: [InsufficientFundsError, CountedError],
    ...options,
  })
  return { codec, resolved }
}

const { codec } = setup()
const roundTrip = <T>(value: T): T => codec.decode(codec.encode(value)) as T

/** What `fn` throws (it must throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

/** Hand-written msgpack, for input that no encoder would produce. */
const mp = {
  str(s: string): Buffer {
    const body = Buffer.from(s, 'utf8')
    if (body.length < 32) return Buffer.concat([Buffer.from([0xa0 | body.length]), body])
    return Buffer.concat([Buffer.from([0xd9, body.length]), body])
  },
  array: (...items: Buffer[]) => Buffer.concat([Buffer.from([0x90 | items.length]), ...items]),
  map: (...entries: [Buffer, Buffer][]) =>
    Buffer.concat([Buffer.from([0x80 | entries.length]), ...entries.flat()]),
  /** A record definition (one-byte id 0x40-0x7f) and its first record. */
  record: (id: number, fields: [string, Buffer][]) =>
    Buffer.concat([
      Buffer.from([0xd4, ExtensionType.record, id]),
      mp.array(...fields.map(([name]) => mp.str(name))),
      ...fields.map(([, value]) => value),
    ]),
  /** An extension written as `d4 <type> 00` followed by a value. */
  tagged: (type: number, value: Buffer) => Buffer.concat([Buffer.from([0xd4, type, 0]), value]),
  true: Buffer.from([0xc3]),
  nil: Buffer.from([0xc0]),
  int: (n: number) => Buffer.from([n]),
}

describe('codec round trips', () => {
  it('keeps JSON-like values', () => {
    const values = [
      null,
      true,
      false,
      0,
      -1,
      127,
      128,
      -129,
      2 ** 32,
      2 ** 53 - 1,
      -(2 ** 53),
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '',
      'é ✓ 😀',
      'x'.repeat(70_000),
      [],
      {},
      { a: 1, b: [1, 'two', { c: null }] },
      [
        { id: 1, name: 'a' },
        { id: 2, name: 'b' },
        { id: 3, name: 'c' },
        { id: 4, name: 'd' },
      ],
    ]
    for (const value of values) expect(roundTrip(value)).toStrictEqual(value)
  })

  it('keeps undefined, also inside objects (key kept) and arrays', () => {
    expect(roundTrip(undefined)).toBeUndefined()
    const out = roundTrip({ a: undefined, b: [undefined, 1], c: 2 })
    expect(Object.hasOwn(out, 'a')).toBe(true)
    expect(out).toStrictEqual({ a: undefined, b: [undefined, 1], c: 2 })
  })

  it('turns -0 into 0 and holes into undefined (documented losses)', () => {
    expect(Object.is(roundTrip(-0), 0)).toBe(true)
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const out = roundTrip([1, , 3])
    expect(out).toStrictEqual([1, undefined, 3])
    expect(1 in out).toBe(true)
  })

  it('keeps dates to the millisecond, before 1970 and invalid ones too', () => {
    for (const date of [new Date(0), new Date(1_700_000_000_123), new Date(-86_400_001), new Date(8.64e15)]) {
      const out = roundTrip(date)
      expect(out).toBeInstanceOf(Date)
      expect(out.getTime()).toBe(date.getTime())
    }
    expect(Number.isNaN(roundTrip(new Date(Number.NaN)).getTime())).toBe(true)
  })

  it('keeps bigints of any size as bigints', () => {
    for (const n of [
      0n,
      1n,
      -1n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 64n - 1n,
      2n ** 64n,
      2n ** 521n - 1n,
      -(3n ** 300n),
    ]) {
      expect(roundTrip(n)).toBe(n)
    }
    expect(roundTrip({ n: 5n })).toStrictEqual({ n: 5n })
  })

  it('keeps maps with any keys, and sets', () => {
    const map = new Map<unknown, unknown>([
      [1, 'one'],
      ['1', 'string one'],
      [{ k: 1 }, [1, 2]],
      [null, new Map([['nested', true]])],
    ])
    expect(roundTrip(map)).toStrictEqual(map)
    const set = new Set<unknown>([1, 'a', { b: 2 }, new Set([3])])
    expect(roundTrip(set)).toStrictEqual(set)
    expect(roundTrip({ m: new Map(), s: new Set() })).toStrictEqual({ m: new Map(), s: new Set() })
  })

  it('keeps a Buffer as a Buffer and a Uint8Array as a Uint8Array, as copies', () => {
    const value = {
      buffer: Buffer.from('bytes'),
      view: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([1.5, -2]),
      words: new Uint16Array([1, 65535]),
      raw: new Uint8Array([9, 8]).buffer,
    }
    const frame = codec.encode(value)
    const out = codec.decode(frame) as typeof value
    expect(Buffer.isBuffer(out.buffer)).toBe(true)
    expect(out.buffer.toString()).toBe('bytes')
    expect(Buffer.isBuffer(out.view)).toBe(false)
    expect(out.view).toBeInstanceOf(Uint8Array)
    expect([...out.view]).toEqual([1, 2, 3])
    expect(out.floats).toStrictEqual(value.floats)
    expect(out.words).toStrictEqual(value.words)
    expect(out.raw).toBeInstanceOf(ArrayBuffer)
    expect([...new Uint8Array(out.raw)]).toEqual([9, 8])
    frame.fill(0)
    expect(out.buffer.toString()).toBe('bytes')
    expect([...out.view]).toEqual([1, 2, 3])
  })

  it('keeps regular expressions', () => {
    expect(roundTrip(/a+b?/giu)).toStrictEqual(/a+b?/giu)
  })

  it('gives plain objects for class instances (own enumerable properties)', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      get length() {
        return Math.hypot(this.x, this.y)
      }
    }
    const out = roundTrip(new Point(3, 4))
    expect(out).not.toBeInstanceOf(Point)
    expect(out).toStrictEqual({ x: 3, y: 4 })
  })

  it('keeps arbitrary nested values', () => {
    const key = fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__')
    const leaf = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.boolean(),
      fc.integer(),
      fc.double().map((d) => (Object.is(d, -0) ? 0 : d)),
      fc.string(),
      fc.bigInt(),
      fc.date({ noInvalidDate: true }),
      fc.uint8Array({ maxLength: 16 }),
      fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
    )
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
        fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
        fc.array(tie('value'), { maxLength: 4 }).map((items) => new Set(items)),
      ),
    }))
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toStrictEqual(v)
      }),
      { numRuns: 300 },
    )
  })
})

describe('refs', () => {
  it('are sent as their address and resolved on arrival', () => {
    const { codec, resolved } = setup()
    const ref = new FakeRef(address('/user/orders/o-17'))
    const out = codec.decode(codec.encode({ replyTo: ref, all: [ref], byRef: new Map([[ref, 1]]) })) as {
      replyTo: Ref
      all: Ref[]
      byRef: Map<Ref, number>
    }
    expect(resolved).toEqual([ref.address, ref.address, ref.address])
    expect(isRef(out.replyTo)).toBe(true)
    expect(out.replyTo).toBeInstanceOf(FakeRef)
    expect(out.replyTo.equals(ref)).toBe(true)
    expect(out.replyTo.path).toBe('/user/orders/o-17')
    expect(out.all[0]!.address).toBe(ref.address)
    expect([...out.byRef.keys()][0]!.address).toBe(ref.address)
  })

  it('are usable at once: a real local actor answers through the decoded ref', async () => {
    const Echo = defineActor<{ text: string }, null>({
      init: () => null,
      receive: (state, msg, ctx) => {
        ctx.reply(msg.text.toUpperCase())
        return state
      },
    })
    await withTestSystem(async (system) => {
      const echo = system.spawn(Echo)
      const local = createCodec({
        resolveRef: (address) => {
          if (address !== echo.address) throw new Error(`no actor at ${address}`)
          return echo
        },
      })
      const out = local.decode(local.encode({ to: echo })) as { to: Ref<{ text: string }> }
      expect(out.to).toBe(echo)
      expect(await out.to.ask({ text: 'hi' }, { timeout: 1_000 })).toBe('HI')
    })
  })

  it('fail the decode with a ProtocolError when resolveRef throws', () => {
    const failing = createCodec({
      resolveRef: (address) => {
        throw new TypeError(`malformed address ${address}`)
      },
    })
    const error = thrown(() => failing.decode(codec.encode([new FakeRef('nonsense')])))
    expect(error).toBeInstanceOf(ProtocolError)
    expect((error as Error).message).toContain('cannot resolve the ref "nonsense"')
    expect((error as Error).cause).toBeInstanceOf(TypeError)
  })
})

describe('errors', () => {
  it('keep name, message and own properties such as code, and their stack only with errorStacks', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111 })
    const bare = roundTrip(error)
    expect(bare.stack).toBe('Error: connect ECONNREFUSED')
    expect(codec.encode(error).includes(import.meta.filename)).toBe(false)
    const { codec: withStacks } = setup({ errorStacks: true })
    const out = withStacks.decode(withStacks.encode(error)) as typeof error
    expect(out).toBeInstanceOf(Error)
    expect(out.name).toBe('Error')
    expect(out.message).toBe('connect ECONNREFUSED')
    expect(out.stack).toBe(error.stack)
    expect(out).toMatchObject({ code: 'ECONNREFUSED', errno: -111 })
    expect(Object.keys(out)).toEqual(['code', 'errno'])
    // A native error, so that inspection and loggers show it as one.
    expect(types.isNativeError(out)).toBe(true)
    expect(Object.prototype.toString.call(out)).toBe('[object Error]')
    expect(inspect(out)).toContain(error.stack!.split('\n')[1])
  })

  it('are rebuilt as the built-in classes', () => {
    for (const error of [new TypeError('t'), new RangeError('r'), new SyntaxError('s'), new URIError('u')]) {
      const out = roundTrip(error)
      expect(out).toBeInstanceOf(error.constructor)
      expect(out.name).toBe(error.name)
      expect(Object.hasOwn(out, 'name')).toBe(false)
    }
  })

  it("are rebuilt as Troupe's own classes, with their fields", () => {
    const timeout = roundTrip(new AskTimeoutError('troupe://a@h:1/user/x', 250))
    expect(timeout).toBeInstanceOf(AskTimeoutError)
    expect(timeout).toBeInstanceOf(TroupeError)
    expect(timeout).toMatchObject({
      name: 'AskTimeoutError',
      target: 'troupe://a@h:1/user/x',
      timeoutMs: 250,
    })
    expect(timeout.message).toBe('ask to troupe://a@h:1/user/x timed out after 250 ms')
    expect(roundTrip(new ActorStoppedError('/user/y'))).toBeInstanceOf(ActorStoppedError)
    expect(roundTrip(new TimeoutError(5))).toMatchObject({ name: 'TimeoutError', ms: 5 })
    expect(roundTrip(new CancelledError('bye', { reason: 'shutdown' }))).toMatchObject({ reason: 'shutdown' })
    expect(roundTrip(new ProtocolError('bad'))).toBeInstanceOf(ProtocolError)
  })

  it('are rebuilt as registered classes without calling their constructor', () => {
    const error = new CountedError('counted')
    const before = constructed
    const out = roundTrip(error)
    expect(out).toBeInstanceOf(CountedError)
    expect(constructed).toBe(before)
    const funds = roundTrip(new InsufficientFundsError('acc-1', 30))
    expect(funds).toBeInstanceOf(InsufficientFundsError)
    expect(funds).toMatchObject({ account: 'acc-1', missing: 30, message: 'account acc-1 lacks 30' })
  })

  it('of unregistered classes arrive as plain Errors that keep their name', () => {
    class LocalOnlyError extends Error {
      override name = 'LocalOnlyError'
    }
    const other = createCodec({ resolveRef: (a) => new FakeRef(a) })
    const out = other.decode(other.encode(new LocalOnlyError('x'))) as Error
    expect(out).not.toBeInstanceOf(LocalOnlyError)
    expect(Object.getPrototypeOf(out)).toBe(Error.prototype)
    expect(out.name).toBe('LocalOnlyError')
    expect(out.message).toBe('x')
    const unknown = other.decode(codec.encode(new InsufficientFundsError('a', 1))) as Error
    expect(Object.getPrototypeOf(unknown)).toBe(Error.prototype)
    expect(unknown.name).toBe('InsufficientFundsError')
  })

  it('keep their cause chain, each link rebuilt as its class', () => {
    const root = new RangeError('root')
    const middle = new InsufficientFundsError('acc', 1)
    Object.defineProperty(middle, 'cause', {
      value: root,
      enumerable: false,
      writable: true,
      configurable: true,
    })
    const top = new Error('top', { cause: middle })
    const out = roundTrip(top)
    expect(out.message).toBe('top')
    expect(out.cause).toBeInstanceOf(InsufficientFundsError)
    expect((out.cause as Error).cause).toBeInstanceOf(RangeError)
    expect(((out.cause as Error).cause as Error).message).toBe('root')
    expect(Object.keys(out)).toEqual([])
    expect(roundTrip(new Error('e', { cause: 'a string' })).cause).toBe('a string')
    expect(roundTrip(new Error('e', { cause: { code: 7 } })).cause).toStrictEqual({ code: 7 })
    expect('cause' in roundTrip(new Error('e'))).toBe(false)
    expect(roundTrip(new Error('e', { cause: undefined })).cause).toBeUndefined()
    expect('cause' in roundTrip(new Error('e', { cause: undefined }))).toBe(true)
  })

  it("keep an AggregateError's errors", () => {
    const out = roundTrip(new AggregateError([new TypeError('a'), new AskTimeoutError('/x', 1)], 'several'))
    expect(out).toBeInstanceOf(AggregateError)
    expect(out.errors[0]).toBeInstanceOf(TypeError)
    expect(out.errors[1]).toBeInstanceOf(AskTimeoutError)
  })

  it('keep the actor that raised them: a ref stays a usable ref, a string a string', () => {
    const { codec, resolved } = setup()
    const actor = new FakeRef(address('/user/worker'))
    const withRef = codec.decode(codec.encode(Object.assign(new Error('boom'), { actor }))) as Error & {
      actor: Ref
    }
    expect(withRef.actor).toBeInstanceOf(FakeRef)
    expect(withRef.actor.address).toBe(actor.address)
    expect(resolved).toEqual([actor.address])
    const receive = codec.decode(codec.encode(new ReceiveTimeoutError('/user/p', 10))) as ReceiveTimeoutError
    expect(receive).toBeInstanceOf(ReceiveTimeoutError)
    expect(receive.actor).toBe('/user/p')
    class CellError extends Error {
      get actor() {
        return { address: address('/user/cell'), internals: new Map() }
      }
    }
    const fromGetter = codec.decode(codec.encode(new CellError('x'))) as Error & { actor: unknown }
    expect(fromGetter.actor).toBe(address('/user/cell'))
  })

  it('travel inside messages and envelopes', () => {
    const envelope: Envelope = { kind: 'error', id: 3, error: new AskTimeoutError('/user/x', 1) }
    const out = codec.decodeEnvelope(codec.encodeEnvelope(envelope))
    expect(out.kind).toBe('error')
    expect((out as { error: unknown }).error).toBeInstanceOf(AskTimeoutError)
  })
})

describe('envelopes', () => {
  const ref = new FakeRef(address('/user/client'))
  const every: Envelope[] = [
    { kind: 'tell', to: '/user/a', message: { type: 'inc', by: 2 } },
    { kind: 'tell', to: '/user/a', from: '/user/b', message: undefined },
    { kind: 'ask', to: '/user/a', id: 1, message: { type: 'get', replyTo: ref } },
    { kind: 'reply', id: 1, message: 42 },
    { kind: 'error', id: 2, error: new TypeError('bad') },
    { kind: 'watch', watcher: '/user/w', target: '/user/t' },
    { kind: 'unwatch', watcher: '/user/w', target: '/user/t' },
    { kind: 'terminated', watcher: '/user/w', target: '/user/t', reason: 'normal' },
    { kind: 'terminated', watcher: '/user/w', target: '/user/t', reason: 'failed', error: new Error('x') },
    { kind: 'link', a: '/user/a', b: '/user/b' },
    { kind: 'unlink', a: '/user/a', b: '/user/b' },
    { kind: 'exit', from: '/user/a', to: '/user/b', reason: 'node-down' },
    { kind: 'stop', target: '/user/a' },
    { kind: 'spawn', id: 7, behavior: 'counter' },
    { kind: 'spawn', id: 8, behavior: 'counter', name: 'c', props: { start: 1n } },
    { kind: 'spawned', id: 8, path: '/user/c' },
    { kind: 'ping', at: 1_700_000_000_000 },
    { kind: 'pong', at: 12.5 },
  ]

  it('every kind survives a round trip', () => {
    const kinds = new Set(every.map((envelope) => envelope.kind))
    expect(kinds.size).toBe(15)
    for (const envelope of every) {
      expect(codec.decodeEnvelope(codec.encodeEnvelope(envelope))).toStrictEqual(envelope)
    }
  })

  it('encodes a small envelope compactly', () => {
    expect(codec.encodeEnvelope(every[0]!).length).toBeLessThan(60)
  })

  const refusals: [string, unknown, string][] = [
    ['an unknown kind', { kind: 'x' }, "unknown envelope kind 'x'"],
    [
      'a kind inherited from Object.prototype',
      { kind: 'constructor' },
      "unknown envelope kind 'constructor'",
    ],
    ['a missing kind', { to: '/a' }, 'unknown envelope kind undefined'],
    ['a kind that is not a string', { kind: 3 }, 'unknown envelope kind a number'],
    ['an array', ['tell', '/a'], 'an envelope must be a record, got an array'],
    ['a Map', new Map([['kind', 'tell']]), 'an envelope must be a record, got a Map'],
    ['a number', 7, 'an envelope must be a record, got a number'],
    ['null', null, 'an envelope must be a record, got null'],
    ['a missing field', { kind: 'tell', message: 1 }, "envelope 'tell' lacks 'to' (a string)"],
    ['a missing message', { kind: 'ask', to: '/a', id: 1 }, "envelope 'ask' lacks 'message' (a value)"],
    [
      'a field of the wrong type',
      { kind: 'stop', target: 5 },
      "envelope 'stop' needs 'target' to be a string, got a number",
    ],
    [
      'a wrong optional field',
      { kind: 'tell', to: '/a', from: {}, message: 1 },
      "needs 'from' to be a string, got an object",
    ],
    ['a negative id', { kind: 'reply', id: -1, message: 1 }, "needs 'id' to be a non-negative integer"],
    ['a fractional id', { kind: 'reply', id: 1.5, message: 1 }, "needs 'id' to be a non-negative integer"],
    [
      'a string id',
      { kind: 'reply', id: '1', message: 1 },
      "needs 'id' to be a non-negative integer, got '1'",
    ],
    ['a NaN time', { kind: 'ping', at: Number.NaN }, "envelope 'ping' needs 'at' to be a finite number"],
    [
      'an unknown reason',
      { kind: 'exit', from: '/a', to: '/b', reason: 'bored' },
      "needs 'reason' to be one of normal",
    ],
  ]
  for (const [what, value, message] of refusals) {
    it(`refuses ${what} with a ProtocolError`, () => {
      const error = thrown(() => codec.decodeEnvelope(codec.encode(value)))
      expect(error).toBeInstanceOf(ProtocolError)
      expect((error as Error).message).toContain(message)
    })
  }

  it('quotes long hostile strings briefly', () => {
    const error = thrown(() =>
      codec.decodeEnvelope(codec.encode({ kind: `${'k'.repeat(10_000)}\n` })),
    ) as Error
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error.message.length).toBeLessThan(100)
  })

  it('accepts optional fields given as undefined, and ignores unknown fields', () => {
    const out = codec.decodeEnvelope(
      codec.encode({ kind: 'tell', to: '/a', from: undefined, message: 1, extra: { any: 'thing' } }),
    )
    expect(out).toMatchObject({ kind: 'tell', to: '/a', message: 1 })
  })
})

describe('encoding refuses what cannot travel', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  let deep: unknown = 1
  for (let i = 0; i < DEFAULT_MAX_DEPTH + 1; i++) deep = [deep]
  const cases: [string, unknown, RegExp][] = [
    ['a function', { f: () => 1 }, /function/],
    ['a symbol', { s: Symbol('s') }, /cannot encode/],
    ['a cycle', cyclic, /cyclic or nested too deeply/],
    ['nesting beyond maxDepth', deep, /maxDepth \(256\)/],
    ['an own __proto__ key', JSON.parse('{"a":{"__proto__":{"x":1}}}'), /__proto__/],
  ]
  for (const [what, value, message] of cases) {
    it(`refuses ${what} with an EncodeError`, () => {
      const error = thrown(() => codec.encode(value))
      expect(error).toBeInstanceOf(EncodeError)
      expect(error).not.toBeInstanceOf(ProtocolError)
      expect((error as Error).message).toMatch(message)
      // The codec keeps working afterwards.
      expect(roundTrip({ ok: [1, { fine: true }] })).toStrictEqual({ ok: [1, { fine: true }] })
    })
  }

  it('accepts nesting of exactly maxDepth', () => {
    let value: unknown = 1
    for (let i = 0; i < DEFAULT_MAX_DEPTH; i++) value = [value]
    expect(roundTrip(value)).toStrictEqual(value)
  })

  it('refuses a maxDepth it cannot honour', () => {
    for (const maxDepth of [0, -1, 1.5, 10_001]) {
      expect(() => createCodec({ resolveRef: (a) => new FakeRef(a), maxDepth })).toThrow(InvalidOptionError)
    }
  })
})

describe('hostile input', () => {
  const decodeError = (bytes: Uint8Array): ProtocolError => {
    const error = thrown(() => codec.decode(bytes))
    expect(error).toBeInstanceOf(ProtocolError)
    return error as ProtocolError
  }

  it('cannot pollute prototypes through __proto__, constructor or prototype keys', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort()
    const payload = mp.record(0x40, [['polluted', mp.true]])
    // A record with a __proto__ field is refused outright.
    expect(decodeError(mp.record(0x40, [['__proto__', payload]])).message).toContain("'__proto__'")
    expect(
      decodeError(
        mp.array(
          mp.record(0x41, [
            ['a', mp.int(1)],
            ['__proto__', mp.nil],
          ]),
        ),
      ).message,
    ).toContain('__proto__')
    // constructor and prototype are ordinary own fields of an ordinary object.
    const out = codec.decode(
      mp.record(0x40, [
        ['constructor', mp.record(0x41, [['prototype', payload]])],
        ['prototype', mp.record(0x42, [['polluted', mp.true]])],
      ]),
    ) as Record<string, unknown>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.keys(out)).toEqual(['constructor', 'prototype'])
    expect(out.constructor).toStrictEqual({ prototype: { polluted: true } })
    // A msgpack map decodes as a Map, where __proto__ is just a key.
    const map = codec.decode(mp.map([mp.str('__proto__'), payload], [mp.str('constructor'), payload])) as Map<
      string,
      unknown
    >
    expect(map).toBeInstanceOf(Map)
    expect(map.get('__proto__')).toStrictEqual({ polluted: true })
    // An error's properties cannot reach its prototype either.
    const error = codec.decode(
      mp.tagged(
        ExtensionType.error,
        mp.record(0x40, [
          ['name', mp.str('TypeError')],
          ['message', mp.str('m')],
          [
            'props',
            mp.record(0x41, [
              ['constructor', payload],
              ['prototype', payload],
            ]),
          ],
        ]),
      ),
    ) as Error
    expect(error).toBeInstanceOf(TypeError)
    expect(Object.getPrototypeOf(error)).toBe(TypeError.prototype)
    expect(TypeError.prototype).not.toHaveProperty('polluted')
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  })

  it('rebuilds errors named after Object.prototype members as plain Errors', () => {
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) {
      const out = codec.decode(
        mp.tagged(
          ExtensionType.error,
          mp.record(0x40, [
            ['name', mp.str(name)],
            ['message', mp.str('m')],
          ]),
        ),
      ) as Error
      expect(Object.getPrototypeOf(out)).toBe(Error.prototype)
      expect(out.name).toBe(name)
    }
  })

  it('refuses 100k nested arrays, maps, sets and errors without overflowing the stack', () => {
    const n = 100_000
    const nested = (open: number[]) =>
      Buffer.concat([Buffer.alloc(open.length * n).fill(Buffer.from(open)), mp.nil])
    for (const bytes of [
      nested([0x91]),
      Buffer.concat([Buffer.alloc(2 * n).fill(Buffer.from([0x81, 0xc0])), mp.nil]),
      nested([0xdc, 0x00, 0x01]),
      nested([0xd4, ExtensionType.set, 0x00, 0x91]),
      nested([0xd4, ExtensionType.ref, 0x00, 0x91]),
    ]) {
      expect(decodeError(bytes).message).toContain('maxDepth (256)')
    }
    // A chain of errors, each the cause of the one before.
    let chain = mp.nil
    for (let i = 0; i < 300; i++) {
      chain = mp.tagged(
        ExtensionType.error,
        mp.record(0x40, [
          ['name', mp.str('Error')],
          ['message', mp.str('m')],
          ['cause', chain],
        ]),
      )
    }
    expect(decodeError(chain).message).toContain('maxDepth')
  })

  it('honours a smaller maxDepth', () => {
    const { codec: shallow } = setup({ maxDepth: 2 })
    expect(shallow.decode(shallow.encode([[1]]))).toStrictEqual([[1]])
    expect(() => shallow.decode(codec.encode([[[1]]]))).toThrow(ProtocolError)
    expect(() => shallow.encode([[[1]]])).toThrow(EncodeError)
  })

  it('refuses every truncation of a valid message', () => {
    const message = codec.encodeEnvelope({
      kind: 'ask',
      to: '/user/a',
      id: 9,
      message: {
        when: new Date(),
        n: 2n ** 70n,
        m: new Map([[1, new Set(['a'])]]),
        bin: Buffer.from('xyz'),
        floats: new Float32Array([1]),
        error: new AskTimeoutError('/x', 1),
        ref: new FakeRef(address('/user/r')),
        list: [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }],
      },
    })
    expect(codec.decodeEnvelope(message).kind).toBe('ask')
    for (let length = 0; length < message.length; length++) decodeError(message.subarray(0, length))
  })

  it('refuses trailing bytes and empty input', () => {
    expect(decodeError(Buffer.from([0x01, 0x02])).message).toContain('1 bytes follow')
    expect(decodeError(new Uint8Array(0)).message).toContain('empty')
  })

  it('refuses headers that claim more than the bytes present, without allocating', () => {
    const before = process.memoryUsage()
    const claims = [
      [0xdd, 0xff, 0xff, 0xff, 0xff], // array 32
      [0xdc, 0xff, 0xff, 0x01], // array 16
      [0xdf, 0xff, 0xff, 0xff, 0xff], // map 32
      [0xde, 0x00, 0x02, 0x01, 0x01], // map 16: two entries need four values
      [0x9f, 0x01], // fixarray of 15
      [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], // str 32
      [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00], // bin 32
      [0xc9, 0xff, 0xff, 0xff, 0xff, ExtensionType.typedArray, 0x01], // ext 32
      [0xd4, ExtensionType.record, 0x40, 0xdd, 0xff, 0xff, 0xff, 0xff], // record of 2^32-1 fields
    ]
    for (const claim of claims) {
      const error = decodeError(Buffer.from(claim))
      expect(error.message).toMatch(/claims|truncated/)
    }
    const after = process.memoryUsage()
    expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * 1024 * 1024)
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(1024 * 1024)
  })

  it('refuses extension types and forms that are not part of the protocol', () => {
    const refused = [
      [0xd6, 0x69, 0, 0, 0, 1, 0x90], // msgpackr structured-clone id
      [0xd6, 0x70, 0, 0, 0, 1], // msgpackr structured-clone pointer
      [0xd4, 0x65, 0x00, 0x93, 0xa1, 0x61, 0xa1, 0x62, 0xc0], // msgpackr's own error extension
      [0xd6, 0x62, 0, 0, 0, 9], // msgpackr bundled strings
      [0xd4, 0x05, 0x00], // an unknown type
      [0xd5, ExtensionType.ref, 0xa1, 0x61], // the ref extension in another form
      [0xd5, ExtensionType.record, 0x40, 0x00, 0x90], // two-byte record ids
      [0xc1], // never used
    ]
    for (const bytes of refused) decodeError(Buffer.from(bytes))
  })

  it('refuses malformed bodies of the protocol extensions', () => {
    decodeError(mp.tagged(ExtensionType.ref, mp.int(5)))
    decodeError(mp.tagged(ExtensionType.error, mp.str('not an error')))
    decodeError(
      mp.tagged(
        ExtensionType.error,
        mp.record(0x40, [
          ['name', mp.int(1)],
          ['message', mp.str('m')],
        ]),
      ),
    )
    decodeError(
      mp.tagged(
        ExtensionType.error,
        mp.record(0x40, [
          ['name', mp.str('E')],
          ['message', mp.str('m')],
          ['props', mp.array()],
        ]),
      ),
    )
    // A Float64Array of 3 bytes.
    decodeError(Buffer.from([0xc7, 0x04, ExtensionType.typedArray, 10, 1, 2, 3]))
    // Field names that are not strings.
    decodeError(Buffer.from([0xd4, ExtensionType.record, 0x40, 0x91, 0x01, 0x01]))
  })

  it('gives a value or a ProtocolError for any bytes, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          codec.decode(bytes)
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError)
        }
        try {
          codec.decodeEnvelope(bytes)
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError)
        }
      }),
      { numRuns: 5_000 },
    )
  })

  it('gives a value or a ProtocolError for corrupted valid messages', () => {
    const samples = [
      codec.encodeEnvelope({
        kind: 'tell',
        to: '/user/a',
        message: {
          list: [
            { a: 1, b: 'x' },
            { a: 2, b: 'y' },
            { a: 3, b: 'z' },
          ],
          at: new Date(1),
        },
      }),
      codec.encode({ e: new InsufficientFundsError('a', 1), r: new FakeRef(address('/r')), n: 2n ** 80n }),
      codec.encode(
        new Map<unknown, unknown>([
          [new Set([1]), new Uint16Array([1, 2])],
          ['k', /re/g],
        ]),
      ),
    ]
    const edit = fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
    )
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (sample, edits) => {
          const bytes = [...sample]
          for (const { op, at, byte } of edits) {
            const i = at % (bytes.length + 1)
            if (op === 'set' && i < bytes.length) bytes[i] = byte
            else if (op === 'insert') bytes.splice(i, 0, byte)
            else if (op === 'delete') bytes.splice(i, 1)
          }
          for (const decode of [codec.decode, codec.decodeEnvelope]) {
            try {
              decode(Buffer.from(bytes))
            } catch (error) {
              expect(error).toBeInstanceOf(ProtocolError)
            }
          }
        },
      ),
      { numRuns: 5_000 },
    )
  })
})
