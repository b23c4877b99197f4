import { ambientStorage } from '../concurrency/ambient-storage.ts'
import { isRef, type Ref } from './ref.ts'

/**
 * @internal The actor whose turn the scheduler runs now, synchronously: set for each turn, cleared
 * once the run queue is drained (a property store, so that it costs the hot loop next to nothing).
 */
export const running: { actor: object | undefined } = { actor: undefined }
/** The actor an async handler or a process-style actor runs as, across its awaits. */
const asActor = ambientStorage<Ref>()

/**
 * The actor whose code runs now: during a handler's synchronous part, across the awaits of an
 * `async` handler, and in a process-style actor. `undefined` outside of actors.
 */
export function runningActor(): Ref | undefined {
  const actor = running.actor
  return isRef(actor) ? actor : asActor.getStore()
}

/** @internal Runs `fn` as `actor` across its awaits (async handlers, process-style actors). */
export function runAsActor<T>(actor: Ref, fn: () => T): T {
  return asActor.run(actor, fn)
}

const AsyncFunction = (async () => {}).constructor

/** Whether `fn` is an `async function` (whose awaits {@link runAsActor} must follow). */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn instanceof AsyncFunction
}
