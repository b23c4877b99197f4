import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodedSizeBound } from '../../../src/wire/encoded-size.ts'
import { createCodec, createConnectionCodec } from '../../../src/wire/index.ts'
import { FakeRef } from '../../support/fake-ref.ts'

const resolveRef = (address: string) => new FakeRef(address)

/** Values of every kind the codec carries, nested. */
const values = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'grapheme', minLength: 60, maxLength: 300 }),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    fc.uint8Array({ maxLength: 100 }),
    fc.float64Array({ maxLength: 20 }),
    fc.webUrl().map((url) => new FakeRef(`troupe://n@127.0.0.1:1/user/${encodeURIComponent(url)}`)),
    fc.string({ maxLength: 20 }).map((message) => new RangeError(message)),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('node'), { maxKeys: 5 }),
    fc.array(fc.tuple(tie('leaf'), tie('node')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('leaf'), { maxLength: 4 }).map((items) => new Set(items)),
  ),
})).node

describe('encodedSizeBound', () => {
  it('is never less than what the codec writes, alone or along a connection', () => {
    const { encoder } = createConnectionCodec({ resolveRef })
    const codec = createCodec({ resolveRef })
    fc.assert(
      fc.property(values, (value) => {
        const bound = encodedSizeBound(value)
        expect(bound).toBeGreaterThanOrEqual(codec.encode(value).length)
        expect(bound).toBeGreaterThanOrEqual(encoder.encode(value).length)
      }),
      { numRuns: 500 },
    )
  })

  it('weighs large binary and text close to their size', () => {
    const data = Buffer.alloc(16_384)
    const item = { i: 3, data }
    const bound = encodedSizeBound(item)
    expect(bound).toBeGreaterThanOrEqual(createCodec({ resolveRef }).encode(item).length)
    expect(bound).toBeLessThan(16_384 + 100)
    expect(encodedSizeBound('é'.repeat(10_000))).toBeLessThan(20_000 + 10)
  })

  it('stops walking once past the limit', () => {
    let visited = 0
    const items = Array.from({ length: 10_000 }, () => ({
      toJSON() {
        visited++
        return 'x'.repeat(10)
      },
    }))
    expect(encodedSizeBound(items, 1_000)).toBeGreaterThan(1_000)
    expect(visited).toBeLessThan(100)
  })

  it('weighs a cycle as more than any limit', () => {
    const cycle: { self?: unknown } = {}
    cycle.self = cycle
    expect(encodedSizeBound(cycle)).toBe(Number.POSITIVE_INFINITY)
  })
})
