import { RefBase } from '../core/ref.ts'
import { DEFAULT_MAX_DEPTH } from './codec.ts'
import { toWireError } from './wire-error.ts'

/** The largest msgpack header of a string, binary, array or map: its type and a 32-bit length. */
const HEADER = 5
/** The largest msgpack extension header (type, 32-bit length, extension type) and a little room. */
const EXTENSION = 8
/** What an object adds besides its keys and values: a record's definition is a little longer than a map's header. */
const OBJECT = 16
/** Strings up to this long are weighed at 3 bytes a character, longer ones exactly. */
const SHORT_STRING = 64

/**
 * An upper bound of the bytes the codec writes for `value`, found without encoding it: every
 * object is counted as a msgpack map of its own keys (a record never takes more), every number as
 * nine bytes, every string at its UTF-8 length. It walks the value once and stops as soon as the
 * count passes `limit`, so weighing a value costs at most about `limit` bytes of walking; what it
 * returns then is only known to be over `limit`. Nesting deeper than the codec's default depth (a
 * cycle) weighs `Infinity`: the encoder refuses such a value, and says why. A getter or `toJSON`
 * that throws throws here too.
 *
 * @example
 * ```ts
 * encodedSizeBound({ i: 1, data: Buffer.alloc(16_384) }) // a little over 16 KiB
 * encodedSizeBound(hugeArray, 1_048_576) > 1_048_576    // known without walking all of it
 * ```
 */
export function encodedSizeBound(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  const scale = { total: 0, limit }
  weigh(value, 0, scale)
  return scale.total
}

interface Scale {
  total: number
  readonly limit: number
}

function weigh(value: unknown, depth: number, scale: Scale): void {
  if (scale.total > scale.limit) return
  switch (typeof value) {
    case 'number':
      scale.total += 9
      return
    case 'string':
      scale.total += stringBytes(value)
      return
    case 'boolean':
      scale.total += 1
      return
    case 'undefined':
      scale.total += 3
      return
    case 'bigint':
      scale.total += EXTENSION + 9 + Math.ceil(value.toString(16).length / 2)
      return
    case 'object':
      if (value === null) {
        scale.total += 1
        return
      }
      if (depth >= DEFAULT_MAX_DEPTH) {
        scale.total = Number.POSITIVE_INFINITY
        return
      }
      weighObject(value, depth + 1, scale)
      return
    default:
      // A function or a symbol: the encoder refuses it, with a clearer error than a size.
      scale.total += EXTENSION
  }
}

function weighObject(value: object, depth: number, scale: Scale): void {
  if (Array.isArray(value)) {
    scale.total += HEADER
    for (const item of value) {
      weigh(item, depth, scale)
      if (scale.total > scale.limit) return
    }
    return
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    scale.total += EXTENSION + HEADER + value.byteLength
    return
  }
  if (value instanceof RefBase) {
    scale.total += EXTENSION + stringBytes(value.address)
    return
  }
  if (value instanceof Date) {
    scale.total += EXTENSION + 9
    return
  }
  if (value instanceof RegExp) {
    scale.total += EXTENSION + HEADER + stringBytes(value.source) + stringBytes(value.flags)
    return
  }
  if (value instanceof Map) {
    scale.total += EXTENSION + HEADER
    for (const [key, item] of value) {
      weigh(key, depth, scale)
      weigh(item, depth, scale)
      if (scale.total > scale.limit) return
    }
    return
  }
  if (value instanceof Set) {
    scale.total += EXTENSION + HEADER
    for (const item of value) {
      weigh(item, depth, scale)
      if (scale.total > scale.limit) return
    }
    return
  }
  if (value instanceof Error) {
    // What the error extension writes with stacks (a bound): a record of its name, message, stack, props and cause.
    scale.total += EXTENSION
    weighRecord(toWireError(value, true), depth, scale)
    return
  }
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') {
    weigh(toJSON.call(value), depth, scale)
    return
  }
  weighRecord(value, depth, scale)
}

/** An object of its own enumerable properties, counted as a map (a record never takes more). */
function weighRecord(value: object, depth: number, scale: Scale): void {
  scale.total += OBJECT
  for (const key of Object.keys(value)) {
    scale.total += stringBytes(key)
    weigh((value as Record<string, unknown>)[key], depth, scale)
    if (scale.total > scale.limit) return
  }
}

function stringBytes(text: string): number {
  return HEADER + (text.length <= SHORT_STRING ? text.length * 3 : Buffer.byteLength(text, 'utf8'))
}
