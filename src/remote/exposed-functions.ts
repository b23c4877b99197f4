import { ambientStorage } from '../concurrency/ambient-storage.ts'
import { InvalidOptionError } from '../core/errors.ts'
import type { ExposableFunction, FunctionRef } from '../core/function-ref.ts'
import type { Ref } from '../core/ref.ts'
import { stoppedAtStart } from './child-module-loading.ts'
import { NotExposedError } from './remote-actor-error.ts'

export type { ExposableFunction, FunctionRef }

/** What {@link expose} returns: a {@link FunctionRef} for each function, under the same name. */
export type Exposed<T extends Record<string, ExposableFunction>> = {
  readonly [K in keyof T & string]: FunctionRef<T[K]>
}

/** The exposed functions of this process (or thread), by module URL, then by name. */
const table = new Map<string, Map<string, ExposableFunction>>()
const exposedFunctions = new WeakSet<object>()

/**
 * Exposes `functions` of the module `moduleUrl` (its `import.meta.url`) to other nodes and returns
 * references to them for `portal.run`. Every node that loads the module (a child node given it
 * among its `modules`) registers the same functions, since it runs the same call: only functions
 * exposed so can be run by another node. In a module that also starts a system at its top level,
 * call it before `start()`: a child node loads the module only up to that call.
 *
 * @example
 * ```ts
 * export const lines = expose(import.meta.url, { hi, sayHello })
 * await portal.run(lines.sayHello, ['gretchen'])
 * ```
 */
export function expose<T extends Record<string, ExposableFunction>>(
  moduleUrl: string,
  functions: T,
): Exposed<T> {
  if (typeof moduleUrl !== 'string' || moduleUrl === '')
    throw new InvalidOptionError('moduleUrl', 'expected the module URL (import.meta.url)')
  if (typeof functions !== 'object' || functions === null)
    throw new InvalidOptionError('functions', 'expected an object of functions')
  let exposed = table.get(moduleUrl)
  if (exposed === undefined) {
    exposed = new Map()
    table.set(moduleUrl, exposed)
  }
  const refs: Record<string, FunctionRef> = {}
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn !== 'function')
      throw new InvalidOptionError(`functions.${name}`, `expected a function, got ${typeof fn}`)
    exposed.set(name, fn)
    exposedFunctions.add(fn)
    refs[name] = Object.freeze({ module: moduleUrl, name })
  }
  return Object.freeze(refs) as Exposed<T>
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
 * ambient `currentSignal()` while it runs. `undefined` outside of a portal call.
 *
 * @example
 * ```ts
 * async function* ticks() {
 *   while (true) yield await sleep(100, { signal: currentCallSignal() })
 * }
 * ```
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
