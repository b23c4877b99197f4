import { escapeControl } from '../core/escape-control.ts'
import type { ContextSide, Envelope, EnvelopeKind, OpenMode, WireStopReason } from './envelope.ts'
import { ProtocolError } from './errors.ts'

/** What a field of an envelope holds; `?` marks a field that may be absent (or `undefined`). */
type Field =
  | 'path'
  | 'path?'
  | 'id'
  | 'id?'
  | 'count'
  | 'time'
  | 'reason'
  | 'reason?'
  | 'mode'
  | 'side'
  | 'array'
  | 'any'
  | 'any?'

const fieldsByKind: Record<EnvelopeKind, Readonly<Record<string, Field>>> = {
  tell: { to: 'path', from: 'path?', message: 'any' },
  ask: { to: 'path', id: 'id', message: 'any' },
  open: {
    id: 'id',
    actor: 'path',
    module: 'path',
    name: 'path',
    args: 'array',
    mode: 'mode',
    window: 'count',
  },
  started: { id: 'id', first: 'any' },
  items: { id: 'id', by: 'side', values: 'array' },
  credit: { id: 'id', by: 'side', n: 'count' },
  end: { id: 'id', by: 'side', value: 'any?' },
  cancel: { id: 'id', reason: 'any?' },
  reply: { id: 'id', message: 'any' },
  error: { id: 'id', error: 'any', uid: 'path?' },
  watch: { watcher: 'path', target: 'path' },
  unwatch: { watcher: 'path', target: 'path' },
  terminated: { watcher: 'path', target: 'path', reason: 'reason', error: 'any?' },
  link: { a: 'path', b: 'path' },
  unlink: { a: 'path', b: 'path' },
  exit: { from: 'path', to: 'path', reason: 'reason', error: 'any?' },
  stop: { target: 'path', id: 'id?', reason: 'reason?' },
  snapshot: { target: 'path', id: 'id' },
  observe: { id: 'id', parent: 'path', offset: 'id', limit: 'count' },
  spawn: { id: 'id', behavior: 'path', name: 'path?', props: 'any?' },
  spawned: { id: 'id', path: 'path' },
  ping: { at: 'time' },
  pong: { at: 'time' },
}
/** One field of a kind's table, compiled once: `for…in` and `endsWith` per field and envelope cost a tenth of a tell's receipt. */
interface CheckedField {
  readonly name: string
  readonly field: Field
  readonly optional: boolean
}
const kinds = new Map<string, readonly CheckedField[]>(
  Object.entries(fieldsByKind).map(([kind, fields]) => [
    kind,
    Object.entries(fields).map(([name, field]) => ({ name, field, optional: field.endsWith('?') })),
  ]),
)

const stopReasons = new Set<unknown>([
  'normal',
  'stopped',
  'killed',
  'failed',
  'node-down',
  'noproc',
] satisfies WireStopReason[])
const modes = new Set<unknown>(['run', 'stream', 'context'] satisfies OpenMode[])
const sides = new Set<unknown>(['caller', 'callee'] satisfies ContextSide[])

/** A short, printable account of a value received from a peer, for error messages. */
function show(value: unknown): string {
  if (typeof value === 'string') {
    return `'${escapeControl(value.length > 40 ? `${value.slice(0, 40)}…` : value)}'`
  }
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') {
    const prototype: unknown = Object.getPrototypeOf(value)
    if (prototype === Object.prototype) return 'an object'
    const name: unknown = (prototype as { constructor?: { name?: unknown } } | null)?.constructor?.name
    return typeof name === 'string' ? `a ${name}` : 'an object'
  }
  return `a ${typeof value}`
}

function fits(field: Field, value: unknown): boolean {
  switch (field) {
    case 'path':
    case 'path?':
      return typeof value === 'string'
    case 'id':
    case 'id?':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    case 'count':
      return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
    case 'time':
      return typeof value === 'number' && Number.isFinite(value)
    case 'reason':
    case 'reason?':
      return stopReasons.has(value)
    case 'mode':
      return modes.has(value)
    case 'side':
      return sides.has(value)
    case 'array':
      return Array.isArray(value)
    case 'any':
    case 'any?':
      return true
  }
}

const expected: Record<Field, string> = {
  path: 'a string',
  'path?': 'a string',
  id: 'a non-negative integer',
  'id?': 'a non-negative integer',
  count: 'a positive integer',
  time: 'a finite number',
  reason: `one of ${[...stopReasons].join(', ')}`,
  'reason?': `one of ${[...stopReasons].join(', ')}`,
  mode: `one of ${[...modes].join(', ')}`,
  side: `one of ${[...sides].join(', ')}`,
  array: 'an array',
  any: 'a value',
  'any?': 'a value',
}

/**
 * The envelope `value` is, checked field by field against its kind: throws `ProtocolError`
 * naming the first thing wrong (`unknown envelope kind 'x'`, `envelope 'ask' needs 'id' …`).
 * Optional fields may be absent or `undefined`; fields no kind defines are ignored.
 */
export function checkEnvelope(value: unknown): Envelope {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new ProtocolError(`an envelope must be a record, got ${show(value)}`)
  }
  const record = value as Record<string, unknown>
  const kind = record.kind
  const fields = typeof kind === 'string' ? kinds.get(kind) : undefined
  if (fields === undefined) throw new ProtocolError(`unknown envelope kind ${show(kind)}`)
  for (let i = 0; i < fields.length; i++) {
    const { name, field, optional } = fields[i]!
    const got = record[name]
    if (got === undefined) {
      const present = Object.hasOwn(record, name)
      if (optional || (present && field === 'any')) continue
      throw new ProtocolError(`envelope '${kind}' lacks '${name}' (${expected[field]})`)
    }
    // Own: the record's prototype is Object.prototype, which has no property of a field's name.
    if (!fits(field, got)) {
      throw new ProtocolError(`envelope '${kind}' needs '${name}' to be ${expected[field]}, got ${show(got)}`)
    }
  }
  return record as unknown as Envelope
}

/** The envelopes a frame holds: one envelope, or a non-empty array of them, each checked by {@link checkEnvelope}. */
export function checkEnvelopes(value: unknown): Envelope[] {
  if (!Array.isArray(value)) return [checkEnvelope(value)]
  if (value.length === 0) throw new ProtocolError('a batch of envelopes must not be empty')
  for (let i = 0; i < value.length; i++) checkEnvelope(value[i])
  return value as Envelope[]
}
