import { createCancelScope, currentSignal } from './cancel-scope.ts'
import { CancelledError, isCancelledBy, TroupeError } from './errors.ts'

/** A task started in a nursery. */
export interface Task<R> {
  /** The task's own signal: aborts when the task or its nursery is cancelled. */
  readonly signal: AbortSignal
  /**
   * Settles as the task does. The nursery already watches it, so leaving it
   * un-awaited never raises an unhandled rejection.
   */
  readonly result: Promise<R>
  /** Cancels this task only; its cancellation is not a failure of the nursery. */
  cancel(reason?: unknown): void
}

/** The handle a nursery body gets to start tasks and to cancel them all. */
export interface Nursery {
  /** Aborts when the nursery is cancelled: by `cancel()`, a failure, or from outside. */
  readonly signal: AbortSignal
  /** Whether the nursery has been cancelled. */
  readonly cancelled: boolean
  /**
   * Starts `fn` on a later microtask, inside the nursery: `fn` gets the task's signal,
   * which is also its ambient `currentSignal()`. Works until the nursery has closed
   * (every task and the body settled), even after cancellation, where `fn` starts with
   * an aborted signal. Throws a `TroupeError` once the nursery has closed.
   */
  startSoon<R>(fn: (signal: AbortSignal) => Promise<R> | R): Task<R>
  /**
   * Cancels the body and every task. When the body then returns a value, `openNursery`
   * resolves with it; when the body rejects with the cancellation, so does `openNursery`.
   */
  cancel(reason?: unknown): void
}

/** Options of {@link openNursery}. */
export interface NurseryOptions {
  /** Cancels the nursery when it aborts, besides the enclosing ambient scope. */
  signal?: AbortSignal
}

type BodyOutcome<T> = { ok: true; value: T } | { ok: false }

/**
 * Runs `body` with a nursery that starts concurrent tasks, and returns only once the
 * body and every task have settled (trio's nursery). When the body or any task fails,
 * every other task is cancelled and `openNursery` rejects with the failure, or with an
 * `AggregateError` holding every failure that is not a cancellation, including those
 * that land while the others are being cancelled. A task or body that rejects with its
 * own cancellation has not failed. One error object counts once: a body that awaits a
 * failed task and rethrows its error makes `openNursery` reject with that error alone.
 *
 * The nursery is a cancel scope: cancelling an enclosing scope or `options.signal`
 * cancels every task, and `openNursery` then rejects with the nursery signal's reason
 * (unless something really failed). Cancellation is cooperative: the nursery waits for
 * tasks that ignore their signal.
 *
 * @example
 * ```ts
 * const [a, b] = await openNursery(async (n) => {
 *   const a = n.startSoon((signal) => fetchJson(urlA, { signal }))
 *   const b = n.startSoon((signal) => fetchJson(urlB, { signal }))
 *   return Promise.all([a.result, b.result]) // if one fails, the other is cancelled
 * })
 * ```
 */
export async function openNursery<T>(
  body: (nursery: Nursery) => Promise<T> | T,
  options: NurseryOptions = {},
): Promise<T> {
  const own = createCancelScope([currentSignal(), options.signal])
  const failures: unknown[] = []
  let pending = 0
  let outcome: BodyOutcome<T> | undefined
  let closed = false
  let markClosed = (): void => {}
  const allSettled = new Promise<void>((resolve) => {
    markClosed = resolve
  })

  const closeIfDone = (): void => {
    if (closed || outcome === undefined || pending > 0) return
    closed = true
    own.close() // from here on, an outside cancellation no longer concerns this nursery
    markClosed()
  }
  const fail = (err: unknown): void => {
    // One failure reaches the nursery twice when the body awaits the task that failed and
    // rethrows its error: it counts once, as in tractor.
    if (failures.includes(err)) return
    failures.push(err)
    if (!own.scope.cancelled) {
      own.scope.cancel(new CancelledError('cancelled because a task of the nursery failed', { cause: err }))
    }
  }

  const startSoon = <R>(fn: (signal: AbortSignal) => Promise<R> | R): Task<R> => {
    if (closed) {
      throw new TroupeError(
        'startSoon called on a nursery that has closed: its body and every task had settled',
      )
    }
    const task = createCancelScope([own.scope.signal])
    const signal = task.scope.signal
    const settleTask = (): void => {
      task.close()
      pending--
      closeIfDone()
    }
    pending++
    const result = task.run(async () => {
      await undefined // start soon, not now
      return fn(signal)
    })
    result.then(settleTask, (err: unknown) => {
      if (!isCancelledBy(err, signal)) fail(err)
      settleTask()
    })
    return { signal, result, cancel: (reason) => task.scope.cancel(reason) }
  }

  const nursery: Nursery = {
    signal: own.scope.signal,
    get cancelled() {
      return own.scope.cancelled
    },
    startSoon,
    cancel: (reason) => own.scope.cancel(reason),
  }

  own
    .run(async () => body(nursery))
    .then(
      (value) => {
        outcome = { ok: true, value }
      },
      (err: unknown) => {
        if (!isCancelledBy(err, own.scope.signal)) fail(err)
        outcome = { ok: false }
      },
    )
    .finally(closeIfDone)

  await allSettled
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} errors in a nursery`)
  if (!outcome?.ok || own.scope.cancelledBy === 'parent') throw own.scope.signal.reason
  return outcome.value
}
