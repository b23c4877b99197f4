import { addExtension, Packr, Unpackr } from 'msgpackr'
import { InvalidOptionError } from '../core/errors.ts'
import { type Ref, RefBase } from '../core/ref.ts'
import { checkEnvelope } from './check-envelope.ts'
import { checkMsgpack, type DecodeLimits, ONE_BYTE_RECORD_IDS, type StructureTable } from './check-msgpack.ts'
import type { Envelope } from './envelope.ts'
import { EncodeError, ProtocolError } from './errors.ts'
import { ExtensionType } from './extension-types.ts'
import { type ErrorClass, errorClassesByName, fromWireError, toWireError } from './wire-error.ts'

/** The default of {@link CodecOptions.maxDepth}. */
export const DEFAULT_MAX_DEPTH = 256

/** The largest {@link CodecOptions.maxDepth}: msgpackr decodes recursively, and its stack is finite. */
export const MAX_DEPTH_LIMIT = 10_000

/**
 * The default of {@link CodecOptions.maxDecodedObjects}: at most some 25 MiB of heap and 70 ms to
 * build (measured here), and room for any batch of stream items a frame of 1 MiB carries (80,000
 * empty `Set`s, the heaviest per byte that the batcher weighs, are 400,000).
 */
export const DEFAULT_MAX_DECODED_OBJECTS = 524_288

/** The default of {@link CodecOptions.maxDecodedErrors}. */
export const DEFAULT_MAX_DECODED_ERRORS = 1024

/** The default of {@link ConnectionCodecOptions.maxStructures}. */
export const DEFAULT_MAX_STRUCTURES = ONE_BYTE_RECORD_IDS

/** The largest {@link ConnectionCodecOptions.maxStructures}: msgpackr's one-byte record ids. */
export const MAX_STRUCTURES_LIMIT = ONE_BYTE_RECORD_IDS

/** Options of {@link createCodec}. */
export interface CodecOptions {
  /**
   * Turns the address of a ref found in a decoded value into a ref to use at once (the remote
   * layer answers with a local actor, a remote ref or a dead ref). If it throws, `decode` throws
   * a `ProtocolError` with that error as `cause`.
   */
  resolveRef(address: string): Ref
  /**
   * Error classes to rebuild as themselves, found by the error's `name` (which must be the class
   * name). The JavaScript built-ins and every error class of Troupe's concurrency, core and wire
   * layers are always registered; a class given here wins over one of the same name. Errors of
   * other names arrive as plain `Error`s that keep their `name`.
   * @default []
   */
  errorClasses?: readonly ErrorClass[]
  /**
   * The deepest nesting of containers (arrays, objects, maps, sets, errors and the values they
   * hold) that `decode` accepts, and `encode` produces: deeper input is a `ProtocolError`, a
   * deeper value an `EncodeError`. It keeps hostile input from exhausting the stack. An error
   * counts two levels, each error of its `cause` chain two more. At most {@link MAX_DEPTH_LIMIT};
   * msgpackr's recursion may exhaust the stack some thousands deep, which is still reported as a
   * `ProtocolError` or `EncodeError`, but less clearly.
   * @default 256
   */
  maxDepth?: number
  /**
   * The most objects one decoded value may hold, weighted by what each costs to build (an array
   * or object 1, a `Map` or `Set` 4, a ref or `RegExp` 4, an error 8: see `DecodeWeight`); a
   * value with more is a `ProtocolError` before anything of it is built (and a value to send with
   * more an `EncodeError`). A frame bounds the bytes, not what they build: a 1 MiB frame of empty
   * maps would otherwise make a million `Map`s (some 180 MiB). From 1 to 2^32.
   * @default 524288
   */
  maxDecodedObjects?: number
  /**
   * The most errors one decoded value may hold (each of a `cause` chain or of an
   * `AggregateError`'s `errors` counts); more is a `ProtocolError` (to send, an `EncodeError`).
   * From 0 to 2^32.
   * @default 1024
   */
  maxDecodedErrors?: number
  /**
   * Whether encoded errors carry their stack (and a `RemoteActorError`'s `remoteStack`): stacks
   * name the files and lines of the sender, so they are for development, between nodes one
   * trusts with them. Without, an error still carries its name, message, `cause` chain and
   * properties, and arrives with a stack of its name and message only.
   * @default false
   */
  errorStacks?: boolean
}

/**
 * Turns values and envelopes into msgpack bytes and back, for one connection or one node.
 * It carries, beyond msgpack's JSON-like values:
 * - refs (anything `isRef`), sent as their address and resolved on arrival by `resolveRef`;
 * - errors: name, message, `cause` (recursively), own enumerable properties such as `code`,
 *   `actor` (the actor that raised it), an `AggregateError`'s `errors`, and the stack only with
 *   {@link CodecOptions.errorStacks}; rebuilt, without capturing a stack where they arrive, as the
 *   registered class of that name (see {@link CodecOptions.errorClasses}), else as an `Error` with
 *   the name;
 * - `Date` (millisecond precision, invalid dates too), `bigint` of any size, `Map` (any keys),
 *   `Set`, `RegExp`, `undefined` (also inside objects and arrays, where the key is kept);
 * - binary: a `Buffer` arrives as a `Buffer`, a `Uint8Array` as a `Uint8Array`, other typed
 *   arrays, `ArrayBuffer` and `DataView` as themselves; always a copy, never a view of the frame.
 *
 * Other objects travel as plain objects of their own enumerable properties (or of `toJSON()`, if
 * they have one): class instances lose their prototype. `-0` arrives as `0`; holes in arrays as
 * `undefined`. Functions, symbols, cycles and objects with an own `__proto__` key cannot be
 * encoded (`EncodeError`).
 *
 * Decoding never trusts the bytes: they are checked before msgpackr builds anything (their
 * depth, and what they would build: {@link CodecOptions.maxDecodedObjects} and
 * {@link CodecOptions.maxDecodedErrors}), and any failure is a `ProtocolError`.
 */
export interface Codec {
  /** The msgpack bytes of `value`; throws `EncodeError` if it cannot be sent. */
  encode(value: unknown): Buffer
  /** The value `bytes` hold; throws `ProtocolError` (and nothing else) if they are malformed. */
  decode(bytes: Uint8Array): unknown
  /** {@link Codec.encode} for an envelope. */
  encodeEnvelope(envelope: Envelope): Buffer
  /**
   * The envelope `bytes` hold, checked against its kind: throws `ProtocolError` (and nothing
   * else) naming what is wrong, such as `unknown envelope kind 'x'`.
   */
  decodeEnvelope(bytes: Uint8Array): Envelope
}

interface DecodeContext {
  resolveRef(address: string): Ref
  errorClasses: ReadonlyMap<string, ErrorClass>
}

/** @internal What a codec checks and writes, shared with the connection codec: its limits and whether errors carry their stacks. */
export interface CodecSettings extends DecodeLimits {
  readonly errorStacks: boolean
}

const defaultErrorClasses = errorClassesByName()

// msgpackr's extensions are process-wide, not per Packr: they are registered once here, and
// the codec that is decoding says how to resolve refs and rebuild errors through this variable,
// set for the duration of one synchronous `decode`. Another msgpackr user in the process that
// meets these types encodes them the same way; decoding them outside a codec gives refs as
// their address and errors rebuilt from the default classes.
let decoding: DecodeContext | undefined
// Likewise for encoding: whether the codec that is packing sends stacks.
let encodingStacks = false

/** @internal shared with the connection codec. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

addExtension({
  Class: RefBase,
  type: ExtensionType.ref,
  write: (ref: RefBase) => ref.address,
  read(address: unknown): unknown {
    if (typeof address !== 'string') {
      throw new ProtocolError('a ref extension does not hold an address string')
    }
    if (decoding === undefined) return address
    try {
      return decoding.resolveRef(address)
    } catch (error) {
      const shown = JSON.stringify(address.slice(0, 200))
      throw new ProtocolError(`cannot resolve the ref ${shown}: ${messageOf(error)}`, { cause: error })
    }
  },
})

addExtension({
  Class: Error,
  type: ExtensionType.error,
  write: (error: Error) => toWireError(error, encodingStacks),
  read: (data: unknown) => fromWireError(data, decoding?.errorClasses ?? defaultErrorClasses),
})

function refuseFunction(): never {
  throw new EncodeError('a function cannot be encoded')
}

/**
 * A codec for one connection or node, with no state shared between messages: every frame
 * decodes on its own, in any order, so frames can be dropped, reordered or fanned out.
 *
 * Objects are msgpackr records defined within each message (`useRecords` without shared
 * structures). Measured here (Node 20, 2 cores, without msgpackr's native addon) in round trips
 * per second: a small envelope 348k with records vs 590k with plain msgpack maps (and 758k with
 * shared structures, 506k with JSON); a 4 KB payload of 40 like objects 29.6k with records vs
 * 17.2k with maps (33.4k shared, 16.4k JSON), at 1,948 bytes against 3,193. Records are chosen
 * because a `Map` survives only with them: with plain maps, objects are msgpack maps too and
 * msgpackr writes every `Map` as one, so a decoder must read them all as objects or all as
 * `Map`s. Shared structures are faster still, but both ends must agree on the structure ids:
 * {@link createConnectionCodec} does so along one ordered connection, which the remote layer
 * uses; this codec is for frames that must decode on their own (fan-out, any order).
 * The checks on both sides cost about a tenth of a round trip.
 *
 * @example
 * ```ts
 * const codec = createCodec({ resolveRef: (address) => node.resolve(address) })
 * socket.write(encodeFrame(codec.encodeEnvelope({ kind: 'tell', to: '/user/a', message: { ref: self } })))
 * for (const body of frames.push(chunk)) deliver(codec.decodeEnvelope(body))
 * ```
 */
export function createCodec(options: CodecOptions): Codec {
  const settings = checkedSettings(options)
  const context = contextOf(options)
  const packr = newPackr(false, 0)
  const unpackr = newUnpackr(false)
  const encode = (value: unknown): Buffer => {
    const bytes = pack(packr, value, settings.errorStacks)
    checkEncoded(bytes, settings, undefined)
    return bytes
  }
  const decode = (bytes: Uint8Array): unknown => {
    const source = asBuffer(bytes)
    checkMsgpack(source, settings)
    return unpack(unpackr, context, source)
  }
  return {
    encode,
    decode,
    encodeEnvelope: encode,
    decodeEnvelope: (bytes) => checkEnvelope(decode(bytes)),
  }
}

/** @internal shared with the connection codec. */
export function checkedSettings(options: CodecOptions): CodecSettings {
  const errorStacks = options.errorStacks ?? false
  if (typeof errorStacks !== 'boolean') {
    throw new InvalidOptionError('errorStacks', `expected true or false, got ${String(errorStacks)}`)
  }
  return {
    maxDepth: checkedInteger('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH, 1, MAX_DEPTH_LIMIT),
    maxDecodedObjects: checkedInteger(
      'maxDecodedObjects',
      options.maxDecodedObjects,
      DEFAULT_MAX_DECODED_OBJECTS,
      1,
      2 ** 32,
    ),
    maxDecodedErrors: checkedInteger(
      'maxDecodedErrors',
      options.maxDecodedErrors,
      DEFAULT_MAX_DECODED_ERRORS,
      0,
      2 ** 32,
    ),
    errorStacks,
  }
}

function checkedInteger(name: string, given: unknown, fallback: number, min: number, max: number): number {
  const value = given ?? fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `expected an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

/** @internal shared with the connection codec. */
export function contextOf(options: CodecOptions): DecodeContext {
  return { resolveRef: options.resolveRef, errorClasses: errorClassesByName(options.errorClasses) }
}

/** A Packr: records within each message, or (`sequential`) shared along a stream through `maxStructures` ids. */
/** @internal shared with the connection codec. */
export function newPackr(sequential: boolean, maxStructures: number): Packr {
  return new Packr({
    useRecords: true,
    moreTypes: true,
    structuredClone: false,
    writeFunction: refuseFunction,
    ...(sequential ? { sequential: true, maxOwnStructures: maxStructures } : {}),
  })
}

/** @internal shared with the connection codec. */
export function newUnpackr(sequential: boolean): Unpackr {
  return new Unpackr({
    useRecords: true,
    mapsAsObjects: false,
    moreTypes: true,
    structuredClone: false,
    copyBuffers: true,
    int64AsType: 'bigint',
    ...(sequential ? { sequential: true } : {}),
  })
}

/** @internal shared with the connection codec. */
export function pack(packr: Packr, value: unknown, errorStacks: boolean): Buffer {
  const outer = encodingStacks
  encodingStacks = errorStacks
  try {
    return packr.pack(value)
  } catch (error) {
    if (error instanceof EncodeError) throw error
    const overflow = error instanceof RangeError && /call stack/i.test(error.message)
    throw new EncodeError(
      overflow
        ? 'the value is cyclic or nested too deeply to encode'
        : `cannot encode the value: ${messageOf(error)}`,
      { cause: error },
    )
  } finally {
    encodingStacks = outer
  }
}

/** The receiver's checks, run on what is about to be sent. */
/** @internal shared with the connection codec. */
export function checkEncoded(bytes: Buffer, limits: DecodeLimits, table: StructureTable | undefined): void {
  try {
    checkMsgpack(bytes, limits, table)
  } catch (error) {
    throw new EncodeError(`its receiver would refuse the value: ${messageOf(error)}`, { cause: error })
  }
}

/** @internal shared with the connection codec. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** @internal shared with the connection codec. */
export function unpack(unpackr: Unpackr, context: DecodeContext, source: Buffer): unknown {
  const outer = decoding
  decoding = context
  try {
    return unpackr.unpack(source)
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    throw new ProtocolError(`malformed msgpack: ${messageOf(error)}`, { cause: error })
  } finally {
    decoding = outer
  }
}
