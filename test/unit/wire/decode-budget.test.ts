import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../../src/core/errors.ts'
import { RemoteActorError } from '../../../src/remote/portal/remote-actor-error.ts'
import { DecodeWeight } from '../../../src/wire/check-msgpack.ts'
import { DEFAULT_MAX_DECODED_ERRORS, DEFAULT_MAX_DECODED_OBJECTS } from '../../../src/wire/codec.ts'
import {
  type CodecOptions,
  createCodec,
  createConnectionCodec,
  EncodeError,
  ProtocolError,
} from '../../../src/wire/index.ts'
import { FakeRef } from '../../support/fake-ref.ts'

const options = (extra: Partial<CodecOptions> = {}): CodecOptions => ({
  resolveRef: (address) => new FakeRef(address),
  ...extra,
})

/** A msgpack array32 of `count` copies of `unit`, after `first` (which counts as one element). */
function arrayOf(unit: readonly number[], count: number, first: readonly number[] = []): Buffer {
  const total = count + (first.length > 0 ? 1 : 0)
  const out = Buffer.alloc(5 + first.length + unit.length * count)
  out[0] = 0xdd
  out.writeUInt32BE(total, 1)
  let at = 5
  for (const byte of first) out[at++] = byte
  for (let i = 0; i < count; i++) for (const byte of unit) out[at++] = byte
  return out
}

// An error extension holding a record { name: '', message: '' }: the first defines record 0x40,
// the others refer to it (6 bytes each), as a hostile peer packs them.
const FIRST_ERROR = [0xd4, 0x45, 0x00, 0xd4, 0x72, 0x40, 0x92, 0xa4, 0x6e, 0x61, 0x6d, 0x65]
FIRST_ERROR.push(0xa7, ...Buffer.from('message'), 0xa0, 0xa0)
const NEXT_ERROR = [0xd4, 0x45, 0x00, 0x40, 0xa0, 0xa0]
const MiB = 1 << 20

function refusal(decode: () => unknown): ProtocolError {
  try {
    decode()
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return error as ProtocolError
  }
  throw new Error('expected a refusal')
}

describe('the decode budget', () => {
  it('refuses a 1 MiB frame of empty maps before building any', () => {
    const frame = arrayOf([0x80], MiB - 5)
    const before = process.memoryUsage().heapUsed
    const error = refusal(() => createCodec(options()).decode(frame))
    expect(error.message).toContain(
      `more than maxDecodedObjects (${DEFAULT_MAX_DECODED_OBJECTS}) weighted objects`,
    )
    // A million Maps would take some 180 MiB; the refusal builds nothing.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * MiB)
  })

  it('refuses a 1 MiB frame of error extensions at the error limit', () => {
    const frame = arrayOf(
      NEXT_ERROR,
      Math.floor((MiB - 5 - FIRST_ERROR.length) / NEXT_ERROR.length),
      FIRST_ERROR,
    )
    const started = performance.now()
    const error = refusal(() => createConnectionCodec(options()).decoder.decode(frame))
    expect(error.message).toContain(`more than maxDecodedErrors (${DEFAULT_MAX_DECODED_ERRORS}) errors`)
    // Generous for a loaded machine: before the budget, this frame took seconds.
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('weighs each kind: exactly the budget decodes, one more is refused', () => {
    const maps = 10
    const budget = 1 + maps * DecodeWeight.map
    const codec = createCodec(options({ maxDecodedObjects: budget }))
    expect(codec.decode(arrayOf([0x80], maps))).toEqual(Array.from({ length: maps }, () => new Map()))
    refusal(() => codec.decode(arrayOf([0x80], maps + 1)))
    const arrays = createCodec(options({ maxDecodedObjects: 4 }))
    expect(arrays.decode(Buffer.from([0x93, 0x90, 0x90, 0x90]))).toEqual([[], [], []])
    refusal(() => arrays.decode(Buffer.from([0x94, 0x90, 0x90, 0x90, 0x90])))
  })

  it('counts every error of a cause chain and of an AggregateError', () => {
    const sender = createCodec(options())
    const chain = new Error('a', { cause: new Error('b', { cause: new Error('c') }) })
    const aggregate = new AggregateError([new Error('x'), new Error('y')], 'both')
    const receiver = createCodec(options({ maxDecodedErrors: 3 }))
    expect((receiver.decode(sender.encode(chain)) as Error).message).toBe('a')
    expect((receiver.decode(sender.encode(aggregate)) as AggregateError).errors).toHaveLength(2)
    const longer = new Error('z', { cause: chain })
    expect(refusal(() => receiver.decode(sender.encode(longer))).message).toContain('maxDecodedErrors (3)')
  })

  it('refuses to encode what its receiver would refuse, as the sender’s error', () => {
    const codec = createCodec(options({ maxDecodedObjects: 100 }))
    const value = Array.from({ length: 100 }, () => ({ n: 1 }))
    expect(() => codec.encode(value)).toThrow(EncodeError)
    expect(() => codec.encode(value)).toThrow(/maxDecodedObjects \(100\)/)
    const { encoder, decoder } = createConnectionCodec(options({ maxDecodedErrors: 0 }))
    expect(() => encoder.encode(new Error('no'))).toThrow(/maxDecodedErrors \(0\)/)
    // The encoder starts afresh, and the connection goes on.
    expect(decoder.decode(encoder.encode({ ok: true }))).toEqual({ ok: true })
  })

  it('refuses limits it cannot honour', () => {
    for (const bad of [0, -1, 1.5, 2 ** 33, Number.NaN]) {
      expect(() => createCodec(options({ maxDecodedObjects: bad }))).toThrow(InvalidOptionError)
    }
    for (const bad of [-1, 0.5]) {
      expect(() => createConnectionCodec(options({ maxDecodedErrors: bad }))).toThrow(InvalidOptionError)
    }
    expect(() => createCodec(options({ errorStacks: 'yes' as unknown as boolean }))).toThrow(/errorStacks/)
  })
})

describe('remote errors', () => {
  it('are built without capturing a local stack', () => {
    const codec = createCodec(options())
    const frame = arrayOf(NEXT_ERROR, 999, FIRST_ERROR)
    const errors = codec.decode(frame) as Error[]
    expect(errors).toHaveLength(1000)
    // The sender named none of them: each has the stack of its name and message only.
    expect(errors.every((error) => error.stack === ': ')).toBe(true)
  })

  it('keep the stack the sender sent, as data, only when it sends stacks', () => {
    const thrown = new TypeError('bad input', { cause: new RangeError('too far') })
    const relayed = new RemoteActorError(thrown, 'troupe://a@127.0.0.1:1/user/x')
    const bare = createCodec(options({ errorClasses: [RemoteActorError] }))
    const bytes = bare.encode(relayed)
    expect(bytes.includes(import.meta.filename)).toBe(false)
    const out = bare.decode(bytes) as RemoteActorError
    expect(out).toBeInstanceOf(RemoteActorError)
    expect(out.remoteStack).toBeUndefined()
    expect((out.cause as Error).message).toBe('bad input')
    expect(((out.cause as Error).cause as Error).message).toBe('too far')
    const verbose = createCodec(options({ errorClasses: [RemoteActorError], errorStacks: true }))
    const full = verbose.decode(verbose.encode(relayed)) as RemoteActorError
    expect(full.remoteStack).toBe(thrown.stack)
    expect((full.cause as Error).stack).toBe(thrown.stack)
  })
})
