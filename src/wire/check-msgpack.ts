import { ProtocolError } from './errors.ts'
import { ExtensionType } from './extension-types.ts'

/** Extensions written as `d4 <type> 00` and followed by one value. */
const carriesValue = new Set<number>([
  ExtensionType.ref,
  ExtensionType.error,
  ExtensionType.set,
  ExtensionType.regexp,
])
/** Extensions whose payload is the whole value. */
const payloadOnly = new Set<number>([
  ExtensionType.undefined,
  ExtensionType.bigint,
  ExtensionType.typedArray,
  ExtensionType.timestamp,
])

const PROTO_KEY = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f] // '__proto__'
/** How many one-byte record ids msgpackr has (0x40-0x7f): the most structures a table holds. */
export const ONE_BYTE_RECORD_IDS = 64

/**
 * What one value may make the decoder build, as {@link checkMsgpack} enforces it: a frame is at
 * most `maxFrameBytes`, but a byte may cost a `Map` of about 180 bytes of heap, and an error more.
 */
export interface DecodeLimits {
  /** The deepest nesting of containers. */
  readonly maxDepth: number
  /** The most objects, weighted by kind ({@link DecodeWeight}). */
  readonly maxDecodedObjects: number
  /** The most errors (each one of a `cause` chain or an `AggregateError` counts). */
  readonly maxDecodedErrors: number
}

/**
 * How much each kind of object a value decodes to counts against
 * {@link DecodeLimits.maxDecodedObjects}: about its heap size in units of an empty array (some 30
 * bytes, measured on Node 20). Numbers, strings, booleans and binary cost their own bytes of the
 * frame and count nothing.
 */
export const DecodeWeight = {
  /** An array, or an object (a msgpack record). */
  object: 1,
  /** A record definition: the structure, one key string per field, and the first object. */
  recordDefinition: 2,
  /** A `Map` (every msgpack map decodes to one) or a `Set`: about 180 bytes when empty. */
  map: 4,
  /** An error: its object, its fields and the work of rebuilding it. */
  error: 8,
  /** A ref, resolved into a ref object on arrival, or a `RegExp`, compiled on arrival. */
  resolved: 4,
  /** A `Date`, a `bigint` or a typed array. */
  scalarObject: 1,
} as const

/** The weight of each extension type, by type byte (0 for those that build nothing). */
const extensionWeights = new Uint8Array(256)
extensionWeights[ExtensionType.error] = DecodeWeight.error
extensionWeights[ExtensionType.set] = DecodeWeight.map
extensionWeights[ExtensionType.ref] = DecodeWeight.resolved
extensionWeights[ExtensionType.regexp] = DecodeWeight.resolved
extensionWeights[ExtensionType.bigint] = DecodeWeight.scalarObject
extensionWeights[ExtensionType.typedArray] = DecodeWeight.scalarObject
extensionWeights[ExtensionType.timestamp] = DecodeWeight.scalarObject

// Scratch space reused by every call: checkMsgpack runs to completion without calling out.
let pending = new Float64Array(64)
const scratchFields = new Int32Array(ONE_BYTE_RECORD_IDS)

/**
 * The record structures one direction of a connection has defined so far, as {@link checkMsgpack}
 * needs them: the field count of each record id (-1 while undefined), and how many ids the
 * stream may use. It lives as long as the stream, and is only correct while every frame of the
 * stream is checked, in order.
 */
export interface StructureTable {
  readonly fields: Int32Array
  /** Record ids 0x40 to 0x40 + limit - 1 may be defined; at most {@link ONE_BYTE_RECORD_IDS}. */
  readonly limit: number
}

/** An empty {@link StructureTable} for a stream that may define `limit` structures. */
export function createStructureTable(limit: number): StructureTable {
  return { fields: new Int32Array(ONE_BYTE_RECORD_IDS).fill(-1), limit }
}

/**
 * Walks one msgpack value without building it, and throws `ProtocolError` unless msgpackr can
 * decode it safely: complete, no trailing bytes, nested at most `maxDepth` containers deep,
 * building at most `maxDecodedObjects` weighted objects and `maxDecodedErrors` errors, every
 * length backed by bytes that are really there, only the extension types of {@link ExtensionType}
 * in the forms the codec writes, and no `__proto__` field name. It allocates nothing that depends
 * on the input, so a header that claims 2^32 elements costs nothing; the walk is iterative, so
 * hostile nesting cannot overflow the stack.
 *
 * It mirrors msgpackr's reader for that subset, including the record extension: a record
 * definition (`d4 72 <id>`, an array of field names, then the first record's values) gives its
 * one-byte id (0x40-0x7f) a field count, and a later byte with that id is a record of as many
 * values; until defined, such a byte is a plain integer.
 *
 * With a `table` (a stream with structures shared along it: msgpackr's `sequential` mode), the
 * definitions of earlier values hold too, and this value's are added to the table as they are
 * met, even if the value is then refused. The stream is held to what a sequential encoder
 * writes: a record id byte must be defined, in this value or an earlier one (a byte 0x40-0x7f
 * that is not is refused, where it would otherwise be an integer that msgpackr never writes
 * so), and a definition must use one of the table's first `limit` ids.
 */
export function checkMsgpack(bytes: Uint8Array, limits: DecodeLimits, table?: StructureTable): void {
  // One function with local state only: this runs on every frame, both ways.
  const { maxDepth, maxDecodedObjects, maxDecodedErrors } = limits
  // What is left of the budgets; a weight is added as each object's header is read.
  let objectsLeft = maxDecodedObjects
  let errorsLeft = maxDecodedErrors
  const end = bytes.length
  if (end === 0) throw new ProtocolError('empty msgpack value')
  if (pending.length <= maxDepth) pending = new Float64Array(maxDepth + 1)
  let recordFields: Int32Array = scratchFields
  // The first record id a definition may not use, as the byte after `d4 72`.
  let idEnd = 0x80
  if (table === undefined) recordFields.fill(-1)
  else {
    recordFields = table.fields
    idEnd = 0x40 + table.limit
  }
  let position = 0
  let depth = 0
  pending[0] = 1
  for (;;) {
    if (position >= end) throw truncated(position, 1, end)
    const token = bytes[position++]!
    // How many values are nested in this one; 0 for a scalar or an empty container.
    let children = 0
    // Bytes of payload to skip, or the size of the big-endian length that says how many.
    let skip = 0
    let lengthBytes = 0
    if (token < 0x40 || token >= 0xe0) {
      // positive or negative fixint
    } else if (token < 0x80) {
      const fields = recordFields[token & 0x3f]!
      if (fields >= 0) {
        children = fields
        objectsLeft -= DecodeWeight.object
      } else if (table !== undefined) {
        throw new ProtocolError(
          `msgpack record id 0x${token.toString(16)} at byte ${position - 1} refers to a structure never defined`,
        )
      }
    } else if (token < 0x90) {
      children = (token - 0x80) * 2
      objectsLeft -= DecodeWeight.map
    } else if (token < 0xa0) {
      children = token - 0x90
      objectsLeft -= DecodeWeight.object
    } else if (token < 0xc0) {
      skip = token - 0xa0
    } else {
      switch (token) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break
        case 0xc4: // bin 8
        case 0xd9: // str 8
          lengthBytes = 1
          break
        case 0xc5:
        case 0xda:
          lengthBytes = 2
          break
        case 0xc6:
        case 0xdb:
          lengthBytes = 4
          break
        case 0xcc:
        case 0xd0:
          skip = 1
          break
        case 0xcd:
        case 0xd1:
          skip = 2
          break
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4
          break
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8
          break
        case 0xc7: // ext 8, 16, 32: length, type, payload
        case 0xc8:
        case 0xc9: {
          lengthBytes = token === 0xc7 ? 1 : token === 0xc8 ? 2 : 4
          if (lengthBytes > end - position) throw truncated(position, lengthBytes, end)
          const length = readLength(bytes, position, lengthBytes)
          position += lengthBytes
          if (length + 1 > end - position) throw truncated(position, length + 1, end)
          if (!payloadOnly.has(bytes[position]!)) throw refused(bytes[position]!, token, position)
          objectsLeft -= extensionWeights[bytes[position]!]!
          position += length + 1
          lengthBytes = 0
          break
        }
        case 0xd4: {
          // fixext 1: type, one byte (a filler for the extensions that carry a value)
          if (2 > end - position) throw truncated(position, 2, end)
          const type = bytes[position]!
          if (type === ExtensionType.record) {
            const id = bytes[position + 1]!
            if (table !== undefined && (id < 0x40 || id >= idEnd)) {
              throw new ProtocolError(
                `msgpack record definition at byte ${position - 1} uses id 0x${id.toString(16)}: ` +
                  `this stream may define at most ${table.limit} structures (ids 0x40-0x${(idEnd - 1).toString(16)})`,
              )
            }
            children = recordFields[id & 0x3f] = recordDefinition(bytes, position + 2, end)
            objectsLeft -= DecodeWeight.recordDefinition
            position = definitionEnd
          } else if (carriesValue.has(type)) {
            if (type === ExtensionType.error && --errorsLeft < 0) {
              throw new ProtocolError(
                `msgpack value holds more than maxDecodedErrors (${maxDecodedErrors}) errors, at byte ${position - 1}`,
              )
            }
            objectsLeft -= extensionWeights[type]!
            position += 2
            children = 1
          } else if (payloadOnly.has(type)) {
            objectsLeft -= extensionWeights[type]!
            position += 2
          } else throw refused(type, token, position)
          break
        }
        case 0xd5: // fixext 2, 4, 8, 16
        case 0xd6:
        case 0xd7:
        case 0xd8: {
          const length = 1 << (token - 0xd4)
          if (length + 1 > end - position) throw truncated(position, length + 1, end)
          if (!payloadOnly.has(bytes[position]!)) throw refused(bytes[position]!, token, position)
          objectsLeft -= extensionWeights[bytes[position]!]!
          position += length + 1
          break
        }
        case 0xdc: // array 16, 32
        case 0xdd:
        case 0xde: // map 16, 32
        case 0xdf: {
          lengthBytes = token === 0xdc || token === 0xde ? 2 : 4
          if (lengthBytes > end - position) throw truncated(position, lengthBytes, end)
          const count = readLength(bytes, position, lengthBytes)
          position += lengthBytes
          lengthBytes = 0
          children = token < 0xde ? count : count * 2
          objectsLeft -= token < 0xde ? DecodeWeight.object : DecodeWeight.map
          break
        }
        default:
          throw new ProtocolError(
            `msgpack byte 0x${token.toString(16)} at byte ${position - 1} is never used`,
          )
      }
    }
    if (objectsLeft < 0) {
      throw new ProtocolError(
        `msgpack value builds more than maxDecodedObjects (${maxDecodedObjects}) weighted objects, by byte ${position}`,
      )
    }
    if (lengthBytes > 0) {
      if (lengthBytes > end - position) throw truncated(position, lengthBytes, end)
      skip = readLength(bytes, position, lengthBytes)
      position += lengthBytes
    }
    if (skip > 0) {
      if (skip > end - position) throw truncated(position, skip, end)
      position += skip
    }
    if (children > 0) {
      // Every value takes at least one byte: a claim beyond what remains is refused unread.
      if (children > end - position) {
        throw new ProtocolError(
          `msgpack container at byte ${position} claims ${children} values but only ${end - position} bytes remain`,
        )
      }
      if (depth === maxDepth) {
        throw new ProtocolError(`msgpack value nests deeper than maxDepth (${maxDepth}) at byte ${position}`)
      }
      pending[++depth] = children
      continue
    }
    // A value is complete: it may complete the containers that hold it.
    while (--pending[depth]! === 0) {
      if (depth === 0) {
        if (position !== end) {
          throw new ProtocolError(`${end - position} bytes follow the msgpack value at byte ${position}`)
        }
        return
      }
      depth--
    }
  }
}

function readLength(bytes: Uint8Array, at: number, size: number): number {
  if (size === 1) return bytes[at]!
  if (size === 2) return (bytes[at]! << 8) | bytes[at + 1]!
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
}

function truncated(position: number, needed: number, end: number): ProtocolError {
  return new ProtocolError(
    `truncated msgpack: ${needed} bytes needed at byte ${position}, ${end - position} left`,
  )
}

function refused(type: number, token: number, position: number): ProtocolError {
  return new ProtocolError(
    `msgpack extension type ${type} (header 0x${token.toString(16)}) at byte ${position} is not part of the protocol`,
  )
}

/** Where the record definition read by the last {@link recordDefinition} ends. */
let definitionEnd = 0

/**
 * Checks the field names of a record definition that starts at `position` (an array of strings,
 * none `__proto__`); returns their count and leaves the end in {@link definitionEnd}.
 */
function recordDefinition(bytes: Uint8Array, position: number, end: number): number {
  if (position >= end) throw truncated(position, 1, end)
  const header = bytes[position++]!
  let count: number
  if (header >= 0x90 && header <= 0x9f) count = header - 0x90
  else if (header === 0xdc || header === 0xdd) {
    const size = header === 0xdc ? 2 : 4
    if (size > end - position) throw truncated(position, size, end)
    count = readLength(bytes, position, size)
    position += size
  } else
    throw new ProtocolError(`msgpack record definition at byte ${position - 1} has no array of field names`)
  if (count > end - position) {
    throw new ProtocolError(
      `msgpack record definition at byte ${position} claims ${count} fields but only ${end - position} bytes remain`,
    )
  }
  for (let i = 0; i < count; i++) {
    if (position >= end) throw truncated(position, 1, end)
    const token = bytes[position++]!
    let length: number
    if (token >= 0xa0 && token <= 0xbf) length = token - 0xa0
    else if (token >= 0xd9 && token <= 0xdb) {
      const size = token === 0xd9 ? 1 : token === 0xda ? 2 : 4
      if (size > end - position) throw truncated(position, size, end)
      length = readLength(bytes, position, size)
      position += size
    } else throw new ProtocolError(`msgpack record field name at byte ${position - 1} is not a string`)
    if (length > end - position) throw truncated(position, length, end)
    if (length === 9 && isProtoKey(bytes, position)) {
      throw new ProtocolError(`msgpack record at byte ${position} has a field named '__proto__'`)
    }
    position += length
  }
  definitionEnd = position
  return count
}

function isProtoKey(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < PROTO_KEY.length; i++) if (bytes[at + i] !== PROTO_KEY[i]) return false
  return true
}
