import * as concurrencyErrors from '../concurrency/errors.ts'
import * as coreErrors from '../core/errors.ts'
import { isRef } from '../core/ref.ts'
import * as wireErrors from './errors.ts'
import { ProtocolError } from './errors.ts'

/**
 * A class of errors that the codec rebuilds by name, so that `instanceof` works on the receiving
 * side. It is found by the error's `name`, which must equal the class name (Troupe's errors set
 * `name` so); it is rebuilt without calling its constructor.
 */
export type ErrorClass = abstract new (...args: never[]) => Error

/** An error as it crosses the wire; everything else about it is lost. */
interface WireError {
  name: string
  message: string
  stack?: string
  /** Own enumerable properties (`code`, `target`, …) and `actor`. */
  props?: Record<string, unknown>
  cause?: unknown
  /** An `AggregateError`'s errors. */
  errors?: unknown[]
}

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error)
}

const builtInErrorClasses: ErrorClass[] = [
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  AggregateError,
  ...[concurrencyErrors, coreErrors, wireErrors].flatMap((module) =>
    Object.values(module).filter(isErrorClass),
  ),
]

/**
 * Error classes by name: the JavaScript built-ins, every error class of Troupe's concurrency,
 * core and wire layers, then `extra` (which wins over a built-in of the same name).
 */
export function errorClassesByName(extra: readonly ErrorClass[] = []): Map<string, ErrorClass> {
  return new Map([...builtInErrorClasses, ...extra].map((Class) => [Class.name, Class]))
}

/** Properties that travel in their own slots of the wire form. */
const ownSlots = new Set(['message', 'stack', 'cause', '__proto__'])

/**
 * The actor that raised `error`, if it says: a ref stays a ref (sent as its address), a string
 * stays a string, and any other object with a string `address` is sent as that address.
 */
function actorOf(error: Error): unknown {
  const actor: unknown = (error as { actor?: unknown }).actor
  if (isRef(actor) || typeof actor === 'string') return actor
  if (typeof actor === 'object' && actor !== null) {
    const address: unknown = (actor as { address?: unknown }).address
    if (typeof address === 'string') return address
  }
  return undefined
}

/** Properties that say where an error was raised (files, lines): sent only with stacks. */
const whereProps = new Set(['remoteStack'])

/**
 * The wire form of an error: what the error extension writes. Without `stacks`, it says what
 * failed but not where: no `stack`, and no `remoteStack` of a `RemoteActorError` passed on.
 */
export function toWireError(error: Error, stacks: boolean): WireError {
  const wire: WireError = { name: String(error.name), message: String(error.message) }
  if (stacks && typeof error.stack === 'string') wire.stack = error.stack
  let props: Record<string, unknown> | undefined
  for (const key of Object.keys(error)) {
    if (ownSlots.has(key) || key === 'actor' || (!stacks && whereProps.has(key))) continue
    props ??= {}
    props[key] = (error as unknown as Record<string, unknown>)[key]
  }
  const actor = actorOf(error)
  if (actor !== undefined) {
    props ??= {}
    props.actor = actor
  }
  if (props !== undefined) wire.props = props
  if ('cause' in error) wire.cause = error.cause
  if (error instanceof AggregateError && Array.isArray(error.errors)) wire.errors = error.errors
  return wire
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true })
}

/**
 * Rebuilds an error from its wire form: an instance of the class registered under its name
 * (its constructor is not called), else a plain `Error` with that name.
 * Throws `ProtocolError` if `data` is not a wire error.
 */
export function fromWireError(data: unknown, classes: ReadonlyMap<string, ErrorClass>): Error {
  if (!isPlainObject(data)) throw new ProtocolError('an error extension does not hold an error record')
  const { name, message, stack, props, errors } = data
  if (typeof name !== 'string' || typeof message !== 'string') {
    throw new ProtocolError('an error extension lacks a string name and message')
  }
  const malformed = (what: string) =>
    new ProtocolError(`error ${JSON.stringify(name.slice(0, 60))} has ${what}`)
  if (stack !== undefined && typeof stack !== 'string') throw malformed('a stack that is not a string')
  if (props !== undefined && !isPlainObject(props)) throw malformed('props that are not a record')
  if (errors !== undefined && !Array.isArray(errors)) throw malformed('errors that are not an array')
  // `Error` itself builds the instance, with the class as `new.target`: a native error (so
  // `util.inspect`, loggers and `Object.prototype.toString` treat it as one) whose prototype is the
  // class's, without running the class's constructor, which may need arguments or have effects.
  const options = Object.hasOwn(data, 'cause') ? { cause: data.cause } : undefined
  // Without a local stack: capturing one costs tens of microseconds (a frame of errors would hold
  // the thread for seconds), and it would say where the error was decoded, not raised.
  const stackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  let error: Error
  try {
    error = Reflect.construct(Error, [message, options], classes.get(name) ?? Error) as Error
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
  // An assignment, not a definition: the error has an own, writable, non-enumerable stack, and
  // assigning it costs half as much.
  error.stack = stack ?? `${name}: ${message}`
  if (errors !== undefined) define(error, 'errors', errors, false)
  if (props !== undefined) {
    for (const key of Object.keys(props)) if (!ownSlots.has(key)) define(error, key, props[key], true)
  }
  if (error.name !== name) define(error, 'name', name, false)
  return error
}
