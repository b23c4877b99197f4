import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../../src/core/errors.ts'
import {
  type ConnectionCodecOptions,
  createCodec,
  createConnectionCodec,
  DEFAULT_MAX_STRUCTURES,
  EncodeError,
  type Envelope,
  ExtensionType,
  MAX_STRUCTURES_LIMIT,
  ProtocolError,
} from '../../../src/wire/index.ts'
import { FakeRef } from '../../support/fake-ref.ts'

const resolveRef = (address: string) => new FakeRef(address)
const pair = (options: Partial<ConnectionCodecOptions> = {}) =>
  createConnectionCodec({ resolveRef, ...options })

function thrown(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

/** Whether `bytes` hold a record definition (`d4 72`). */
const defines = (bytes: Uint8Array) => Buffer.from(bytes).includes(Buffer.from([0xd4, ExtensionType.record]))

/** `d4 72 <id>`, the field names, then the first record's values (fixints or short strings). */
function definition(id: number, fields: string[], values: number[]): Buffer {
  const names = fields.flatMap((f) => [0xa0 + f.length, ...Buffer.from(f)])
  return Buffer.from([0xd4, ExtensionType.record, id, 0x90 + fields.length, ...names, ...values])
}

describe('createConnectionCodec', () => {
  it('round-trips many envelopes in order through one pair', () => {
    const { encoder, decoder } = pair()
    const ref = new FakeRef('troupe://other@127.0.0.1:9701/user/r')
    const envelopes: Envelope[] = []
    for (let i = 0; i < 2_000; i++) {
      const message =
        i % 5 === 0
          ? { type: 'n', i }
          : i % 5 === 1
            ? { type: 'map', entries: new Map<unknown, unknown>([[i, { x: i }]]), at: new Date(i) }
            : i % 5 === 2
              ? [{ a: i, b: `${i}` }, { a: -i }, new Set([i])]
              : i % 5 === 3
                ? Object.assign(new RangeError(`bad ${i}`), { code: i })
                : { replyTo: ref, big: 2n ** 70n + BigInt(i), nested: { deep: { deeper: [i] } } }
      envelopes.push(
        i % 3 === 0
          ? { kind: 'tell', to: `/user/a${i % 7}`, message }
          : i % 3 === 1
            ? { kind: 'ask', to: '/user/b', id: i, message }
            : { kind: 'reply', id: i, message },
      )
    }
    const reference = createCodec({ resolveRef })
    for (const envelope of envelopes) {
      const out = decoder.decodeEnvelope(encoder.encodeEnvelope(envelope))
      const expected = reference.decodeEnvelope(reference.encodeEnvelope(envelope))
      expect(out).toStrictEqual(expected)
    }
  })

  it('defines a shape once and then refers to it', () => {
    const { encoder, decoder } = pair()
    const first = encoder.encodeEnvelope({ kind: 'tell', to: '/user/a', message: { type: 'n', i: 0 } })
    expect(defines(first)).toBe(true)
    expect(decoder.decodeEnvelope(first)).toStrictEqual({
      kind: 'tell',
      to: '/user/a',
      message: { type: 'n', i: 0 },
    })
    for (let i = 1; i < 100; i++) {
      const next = encoder.encodeEnvelope({ kind: 'tell', to: '/user/a', message: { type: 'n', i } })
      expect(defines(next)).toBe(false)
      expect(next.length).toBeLessThan(first.length / 2)
      expect(decoder.decodeEnvelope(next)).toStrictEqual({
        kind: 'tell',
        to: '/user/a',
        message: { type: 'n', i },
      })
    }
  })

  it('takes new shapes mid-stream, and more shapes than maxStructures by redefining ids', () => {
    const { encoder, decoder } = pair({ maxStructures: 4 })
    const shapes = Array.from({ length: 12 }, (_, s) => (i: number) => {
      const value: Record<string, number> = {}
      for (let k = 0; k <= s; k++) value[`f${s}_${k}`] = i + k
      return value
    })
    fc.assert(
      fc.property(fc.array(fc.nat(shapes.length - 1), { minLength: 1, maxLength: 60 }), (picks) => {
        for (const [i, s] of picks.entries()) {
          const value = { shape: s, body: shapes[s]!(i) }
          expect(decoder.decode(encoder.encode(value))).toStrictEqual(value)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('reads the frames of a createCodec encoder too', () => {
    const { decoder } = pair()
    const plain = createCodec({ resolveRef })
    for (let i = 0; i < 10; i++) {
      const value = { kind: 'tell', to: '/user/a', message: { i, list: [{ a: i }, { b: i }] } }
      expect(decoder.decodeEnvelope(plain.encodeEnvelope(value as Envelope))).toStrictEqual(value)
    }
  })

  it('starts afresh after an encoding fails, so the peer never misses a definition', () => {
    const { encoder, decoder } = pair()
    expect(decoder.decode(encoder.encode({ a: 1 }))).toStrictEqual({ a: 1 })
    // The failed value brings a new shape the peer never sees defined.
    expect(thrown(() => encoder.encode({ fresh: 1, f: () => 1 }))).toBeInstanceOf(EncodeError)
    expect(decoder.decode(encoder.encode({ fresh: 2, f: 3 }))).toStrictEqual({ fresh: 2, f: 3 })
    expect(decoder.decode(encoder.encode({ a: 2 }))).toStrictEqual({ a: 2 })
    // So does a value the receiver's checks would refuse.
    const shallow = pair({ maxDepth: 3 })
    expect(shallow.decoder.decode(shallow.encoder.encode({ x: 1 }))).toStrictEqual({ x: 1 })
    expect(thrown(() => shallow.encoder.encode({ y: [[[1]]] }))).toBeInstanceOf(EncodeError)
    expect(shallow.decoder.decode(shallow.encoder.encode({ y: 1 }))).toStrictEqual({ y: 1 })
    // And reset() on request.
    encoder.encode({ unseen: 1 })
    encoder.reset()
    expect(decoder.decode(encoder.encode({ unseen: 2 }))).toStrictEqual({ unseen: 2 })
  })

  it('refuses to encode for the connection while encoding for it', () => {
    const { encoder, decoder } = pair()
    class Sneaky {
      toJSON() {
        return { inner: encoder.encode({ other: 1 }) }
      }
    }
    const error = thrown(() => encoder.encode({ sneaky: new Sneaky() }))
    expect(error).toBeInstanceOf(EncodeError)
    expect((error as Error).message).toMatch(/while encoding another/)
    expect(decoder.decode(encoder.encode({ other: 2 }))).toStrictEqual({ other: 2 })
  })

  it('refuses a reference to a structure that was never defined, and everything after', () => {
    const { encoder, decoder } = pair()
    const error = thrown(() => decoder.decode(Buffer.from([0x92, 0x01, 0x41])))
    expect(error).toBeInstanceOf(ProtocolError)
    expect((error as Error).message).toMatch(/never defined/)
    // The decoder no longer knows what the peer's ids mean.
    expect(thrown(() => decoder.decode(encoder.encode({ a: 1 })))).toBeInstanceOf(ProtocolError)
    // One defined earlier in the stream is fine.
    const fresh = pair()
    expect(fresh.decoder.decode(definition(0x40, ['a'], [1]))).toStrictEqual({ a: 1 })
    expect(fresh.decoder.decode(Buffer.from([0x92, 0x40, 0x02, 0x40, 0x03]))).toStrictEqual([
      { a: 2 },
      { a: 3 },
    ])
    expect(thrown(() => fresh.decoder.decode(Buffer.from([0x41])))).toBeInstanceOf(ProtocolError)
  })

  it('refuses a structure table that grows past maxStructures', () => {
    expect(DEFAULT_MAX_STRUCTURES).toBe(64)
    const { decoder } = pair({ maxStructures: 2 })
    expect(decoder.decode(definition(0x40, ['a'], [1]))).toStrictEqual({ a: 1 })
    expect(decoder.decode(definition(0x41, ['b'], [2]))).toStrictEqual({ b: 2 })
    // Redefining an id is how an encoder cycles through them.
    expect(decoder.decode(definition(0x40, ['c'], [3]))).toStrictEqual({ c: 3 })
    const error = thrown(() => decoder.decode(definition(0x42, ['d'], [4])))
    expect(error).toBeInstanceOf(ProtocolError)
    expect((error as Error).message).toMatch(/at most 2 structures/)
    // Ids that are no record id at all: msgpackr would mask them into the table.
    for (const id of [0x00, 0x3f, 0x80, 0xff]) {
      expect(thrown(() => pair().decoder.decode(definition(id, ['a'], [1])))).toBeInstanceOf(ProtocolError)
    }
    for (const maxStructures of [0, MAX_STRUCTURES_LIMIT + 1, 1.5, Number.NaN]) {
      expect(() => pair({ maxStructures })).toThrow(InvalidOptionError)
    }
  })

  it('keeps the checks of a single frame: __proto__, unknown extensions, depth, lengths', () => {
    const proto = pair()
    expect(thrown(() => proto.decoder.decode(definition(0x40, ['__proto__'], [1])))).toBeInstanceOf(
      ProtocolError,
    )
    expect(({} as Record<string, unknown>).a).toBeUndefined()
    expect(thrown(() => pair().decoder.decode(Buffer.from([0xd4, 0x01, 0x00])))).toBeInstanceOf(ProtocolError)
    expect(thrown(() => pair().decoder.decode(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])))).toBeInstanceOf(
      ProtocolError,
    )
    // A record whose definition is deep inside is still bounded by maxDepth.
    const shallow = pair({ maxDepth: 2 })
    expect(shallow.decoder.decode(definition(0x40, ['a'], [1]))).toStrictEqual({ a: 1 })
    expect(thrown(() => shallow.decoder.decode(Buffer.from([0x91, 0x40, 0x91, 0x01])))).toBeInstanceOf(
      ProtocolError,
    )
  })

  it('gives a value or a ProtocolError for random bytes, alone or after valid frames', () => {
    const { encoder } = pair()
    const valid = [
      encoder.encodeEnvelope({ kind: 'tell', to: '/user/a', message: { type: 'n', i: 1 } }),
      encoder.encodeEnvelope({ kind: 'tell', to: '/user/a', message: { type: 'n', i: 2 } }),
      encoder.encode({ e: new TypeError('x'), m: new Map([[1, { a: 1 }]]) }),
    ].map((b) => Buffer.from(b))
    fc.assert(
      fc.property(
        fc.nat(valid.length),
        fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 4 }),
        (n, junk) => {
          const { decoder } = pair()
          for (const frame of valid.slice(0, n)) decoder.decode(frame)
          for (const bytes of junk) {
            for (const decode of [decoder.decode, decoder.decodeEnvelope]) {
              try {
                decode(bytes)
              } catch (error) {
                expect(error).toBeInstanceOf(ProtocolError)
              }
            }
          }
        },
      ),
      { numRuns: 3_000 },
    )
  })
})

describe('a batch of envelopes in one frame', () => {
  it('round-trips through encodeEnvelopes and decodeEnvelopes, and a lone envelope reads as a batch of one', () => {
    const { encoder } = pair()
    const { decoder } = pair()
    const batch: Envelope[] = [
      { kind: 'tell', to: '/user/a', message: { n: 1 } },
      { kind: 'ask', to: '/user/a', id: 7, message: { n: 2 } },
      { kind: 'ping', at: 3 },
    ]
    expect(decoder.decodeEnvelopes(encoder.encodeEnvelopes(batch))).toEqual(batch)
    expect(decoder.decodeEnvelopes(encoder.encodeEnvelope({ kind: 'pong', at: 4 }))).toEqual([
      { kind: 'pong', at: 4 },
    ])
  })

  it('refuses an empty batch, a batch holding anything but envelopes, and a batch where one envelope only is expected', () => {
    const plain = createCodec({ resolveRef })
    for (const value of [[], [[{ kind: 'ping', at: 1 }]], [{ kind: 'ping', at: 1 }, { kind: 'nope' }], [1]]) {
      const { decoder } = pair()
      expect(thrown(() => decoder.decodeEnvelopes(plain.encode(value)))).toBeInstanceOf(ProtocolError)
    }
    const { decoder } = pair()
    expect(thrown(() => decoder.decodeEnvelope(plain.encode([{ kind: 'ping', at: 1 }])))).toBeInstanceOf(
      ProtocolError,
    )
  })
})
