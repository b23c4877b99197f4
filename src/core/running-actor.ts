import { ambientStorage } from '../concurrency/ambient-storage.ts'
import { isRef, type Ref } from './ref.ts'

/** The actor whose turn runs now, synchronously. */
let running: object | undefined
/** The actor an async handler or a process-style actor runs as, across its awaits. */
const asActor = ambientStorage<Ref>()

/**
 * The actor whose code runs now: during a handler's synchronous part, across the awaits of an
 * `async` handler, and in a process-style actor. `undefined` outside of actors.
 */
export function runningActor(): Ref | undefined {
  return isRef(running) ? running : asActor.getStore()
}

/** @internal The scheduler marks the actor whose turn it runs (one write per turn, not per message). */
export function setRunningActor(actor: object | undefined): void {
  running = actor
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
