import { InvalidOptionError } from './errors.ts'

/** How a local send isolates a message from its sender: see `SystemOptions.messages`. */
export type IsolationMode = 'freeze' | 'clone' | 'none'

/** Values that isolation passes through as they are: refs and other immutable handles. */
export type PassThrough = (value: object) => boolean

export function isolator(mode: IsolationMode, passThrough: PassThrough): ((m: unknown) => unknown) | null {
  if (mode === 'none') return null
  if (mode === 'freeze') return (m) => freezeMessage(m, passThrough)
  if (mode === 'clone') return (m) => deepClone(m, passThrough, new Map())
  throw new InvalidOptionError('messages', `expected 'freeze', 'clone' or 'none', got ${String(mode)}`)
}

export function defaultIsolation(): IsolationMode {
  return process.env.NODE_ENV === 'production' ? 'none' : 'freeze'
}

/** Objects this module has frozen all the way down: a message sent on is not walked again. */
const deeplyFrozen = new WeakSet<object>()

function refuse(this: Map<unknown, unknown> | Set<unknown>): never {
  throw new TypeError(
    `cannot change a frozen ${this instanceof Map ? 'Map' : 'Set'} that was sent in a message`,
  )
}

/** Object.freeze does not stop `set`, `add`, `delete` or `clear`: shadow them on the instance. */
function lockCollection(value: Map<unknown, unknown> | Set<unknown>): void {
  const names = value instanceof Map ? ['set', 'delete', 'clear'] : ['add', 'delete', 'clear']
  for (const name of names) Object.defineProperty(value, name, { value: refuse, enumerable: false })
}

/**
 * How many small objects (at most `SMALL_OBJECT_KEYS` keys) of one message are frozen without
 * being recorded in `deeplyFrozen`. Recording one (a WeakSet add, about 0.4 us) costs more than
 * walking a small object again when it is sent on, and most messages are a few small objects.
 * Larger objects and the objects past these are recorded: a large message sent on is still not
 * walked again below its first large object, and the walk of a cyclic message still ends.
 */
const UNRECORDED_OBJECTS = 8
const SMALL_OBJECT_KEYS = 8
let unrecorded = 0

function freezeMessage(message: unknown, passThrough: PassThrough): unknown {
  if (typeof message !== 'object' || message === null) return message
  unrecorded = UNRECORDED_OBJECTS
  return deepFreeze(message, passThrough)
}

function deepFreeze(value: unknown, passThrough: PassThrough): unknown {
  if (typeof value !== 'object' || value === null || deeplyFrozen.has(value)) return value
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || passThrough(value)) return value
  if (value instanceof Map) {
    deeplyFrozen.add(value)
    if (!Object.isFrozen(value)) lockCollection(value)
    Object.freeze(value)
    for (const [k, v] of value) {
      deepFreeze(k, passThrough)
      deepFreeze(v, passThrough)
    }
  } else if (value instanceof Set) {
    deeplyFrozen.add(value)
    if (!Object.isFrozen(value)) lockCollection(value)
    Object.freeze(value)
    for (const v of value) deepFreeze(v, passThrough)
  } else {
    const keys = Object.keys(value)
    if (unrecorded > 0 && keys.length <= SMALL_OBJECT_KEYS) unrecorded--
    else deeplyFrozen.add(value)
    Object.freeze(value)
    for (const key of keys) deepFreeze((value as Record<string, unknown>)[key], passThrough)
  }
  return value
}

/** structuredClone semantics (cycles kept, prototypes dropped, functions refused), except that refs are shared, not copied. */
function deepClone(value: unknown, passThrough: PassThrough, seen: Map<object, unknown>): unknown {
  if (typeof value === 'function') throw new DOMException('a function cannot be cloned', 'DataCloneError')
  if (typeof value !== 'object' || value === null) return value
  if (passThrough(value)) return value
  const done = seen.get(value)
  if (done !== undefined) return done
  if (value instanceof Map) {
    const copy = new Map()
    seen.set(value, copy)
    for (const [k, v] of value) copy.set(deepClone(k, passThrough, seen), deepClone(v, passThrough, seen))
    return copy
  }
  if (value instanceof Set) {
    const copy = new Set()
    seen.set(value, copy)
    for (const v of value) copy.add(deepClone(v, passThrough, seen))
    return copy
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = []
    seen.set(value, copy)
    for (const v of value) copy.push(deepClone(v, passThrough, seen))
    return copy
  }
  if (
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    ArrayBuffer.isView(value)
  ) {
    const copy = structuredClone(value)
    seen.set(value, copy)
    return copy
  }
  if (value instanceof ArrayBuffer) return value.slice(0)
  const copy: Record<string, unknown> = {}
  seen.set(value, copy)
  for (const key of Object.keys(value))
    copy[key] = deepClone((value as Record<string, unknown>)[key], passThrough, seen)
  return copy
}
