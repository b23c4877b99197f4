import { ambientStorage } from '../../concurrency/ambient-storage.ts'
import type { AnyBehavior } from '../../core/behavior.ts'
import { InvalidOptionError } from '../../core/errors.ts'
import { isActorDefinition, registerDefinition } from '../../core/exposed-definitions.ts'
import type { ExposableFunction, FunctionRef } from '../../core/function-ref.ts'
import type { Ref } from '../../core/ref.ts'
import { stoppedAtStart } from '../children/child-module-loading.ts'
import { NotExposedError } from './remote-actor-error.ts'

export type { ExposableFunction, FunctionRef }

/**
 * What {@link expose} returns: a {@link FunctionRef} for each function, under the same name, and
 * each actor definition itself.
 */
export type Exposed<T extends Record<string, ExposableFunction | AnyBehavior>> = {
  readonly [K in keyof T & string]: T[K] extends ExposableFunction ? FunctionRef<T[K]> : T[K]
}

/** The exposed functions of this process (or thread), by module URL, then by name. */
const table = new Map<string, Map<string, ExposableFunction>>()
const exposedFunctions = new WeakSet<object>()

/**
 * Exposes what the module `moduleUrl` (its `import.meta.url`) defines to other nodes: functions,
 * for `portal.run`, `stream` and `open` (it returns a reference to each), and actor definitions
 * (what `defineActor` and `defineProcess` return, returned as they are), for
 * `spawn(definition, { in: 'thread' | 'process' })`, which then needs no `modules`: the child node
 * loads this module and finds the definition under its name here. Every node that loads the module
 * registers the same functions and definitions, since it runs the same call: only what is exposed
 * so can be run or spawned by another node. In a module that also starts a system at its top
 * level, call it before `start()`: a child node loads the module only up to that call.
 *
 * @example
 * ```ts
 * const Squarer = defineActor<number>({ receive: (_state, n, ctx) => ctx.reply(n * n) })
 * export const lines = expose(import.meta.url, { hi, sayHello, Squarer })
 * const system = await start()
 * await portal.run(lines.sayHello, ['gretchen'])
 * const squarer = system.spawn(Squarer, { name: 'squarer', in: 'process' })
 * ```
 */
export function expose<T extends Record<string, ExposableFunction | AnyBehavior>>(
  moduleUrl: string,
  members: T,
): Exposed<T> {
  if (typeof moduleUrl !== 'string' || moduleUrl === '')
    throw new InvalidOptionError('moduleUrl', 'expected the module URL (import.meta.url)')
  if (typeof members !== 'object' || members === null)
    throw new InvalidOptionError('members', 'expected an object of functions and actor definitions')
  let exposed = table.get(moduleUrl)
  if (exposed === undefined) {
    exposed = new Map()
    table.set(moduleUrl, exposed)
  }
  const refs: Record<string, FunctionRef | AnyBehavior> = {}
  for (const [name, member] of Object.entries(members)) {
    if (isActorDefinition(member)) {
      registerDefinition(moduleUrl, name, member)
      refs[name] = member
      continue
    }
    if (typeof member !== 'function') {
      throw new InvalidOptionError(
        `members.${name}`,
        `expected a function or an actor definition (defineActor, defineProcess), got ${describeValue(member)}`,
      )
    }
    exposed.set(name, member)
    exposedFunctions.add(member)
    refs[name] = Object.freeze({ module: moduleUrl, name })
  }
  return Object.freeze(refs) as Exposed<T>
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object that is no actor definition' : typeof value
}

/** Whether `value` is a function some module exposed with {@link expose}. */
export function isExposedFunction(value: unknown): boolean {
  return typeof value === 'function' && exposedFunctions.has(value)
}

/** The exposed function `name` of `module`; throws `NotExposedError` (naming `node`) if there is none. */
export function exposedFunction(module: string, name: string, node: string): ExposableFunction {
  const functions = table.get(module)
  const fn = functions?.get(name)
  if (fn !== undefined) return fn
  const stopped = stoppedAtStart(module)
  const why =
    stopped === undefined
      ? undefined
      : `${stopped}: call expose(import.meta.url, { ${name}, … }) before start()`
  throw new NotExposedError(module, name, node, functions !== undefined, why)
}

/** What a function run through a portal sees of its call: the actor, and the call's signal. */
interface CallContext {
  actor: Ref | undefined
  /** The call's signal, or what makes it on first use (a cancel scope makes its signal lazily). */
  signal: CallSignal | undefined
}

/** @internal A call's signal, or a holder (a cancel scope) that makes it when first asked. */
export type CallSignal = AbortSignal | { readonly signal: AbortSignal }

const current = ambientStorage<CallContext>()

/** @internal The actor the current portal call runs as, if the code runs in one. */
export function callActor(): Ref | undefined {
  return current.getStore()?.actor
}

/**
 * The signal of the portal call (`portal.run` or `portal.stream`) the current function serves:
 * it aborts when the caller cancels the call (its `signal` option, its ambient cancel scope, a
 * `break` out of a stream's loop) or its node goes down. The same signal is the function's
 * ambient `currentSignal()` while it runs (which is how a function reads it). `undefined` outside
 * of a portal call.
 *
 * @internal
 */
export function currentCallSignal(): AbortSignal | undefined {
  const signal = current.getStore()?.signal
  return signal === undefined || signal instanceof AbortSignal ? signal : signal.signal
}

/**
 * @internal Runs `fn()` in the context of a portal call: `currentActor()` is `actor` and
 * `currentCallSignal()` is `signal` (so is `currentSignal()` when `scope` runs it in a cancel scope).
 */
export function inCall<T>(
  actor: Ref | undefined,
  signal: CallSignal | undefined,
  fn: () => T,
  scope?: (fn: () => T) => T,
): T {
  return current.run({ actor, signal }, scope === undefined ? fn : () => scope(fn))
}

/** @internal Runs `fn(...args)` as `actor` (see `currentActor`), settling with its result. */
export function runExposed(
  fn: ExposableFunction,
  args: readonly unknown[],
  actor: Ref | undefined,
  signal?: CallSignal,
  scope?: <T>(fn: () => T) => T,
): Promise<unknown> {
  return inCall<Promise<unknown>>(
    actor,
    signal,
    async () => (fn as (...args: unknown[]) => unknown)(...args),
    scope,
  )
}
