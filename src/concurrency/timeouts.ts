import { armTimer, currentSignal, openCancelScope } from './cancel-scope.ts'
import { InvalidOptionError, isCancelledBy } from './errors.ts'

/** Options of {@link sleep}. */
export interface SleepOptions {
  /**
   * A signal that cuts the sleep short, in addition to the ambient scope's signal
   * (an explicit signal never escapes an enclosing scope's cancellation).
   */
  signal?: AbortSignal
}

/**
 * Runs `fn` with a deadline `ms` milliseconds from now. If the deadline cancels it,
 * resolves `undefined` once `fn` has settled with the cancellation (or with any value);
 * otherwise resolves with what `fn` returns. Other errors, and cancellations that come
 * from an enclosing scope, propagate.
 *
 * Cancellation is cooperative: `fn` must watch its `signal` (or pass it, or rely on the
 * ambient scope, as `sleep` does). A `fn` that ignores it is still awaited to the end,
 * so the call then takes longer than `ms`.
 *
 * @example
 * ```ts
 * const reply = await moveOnAfter(500, (signal) => fetch(url, { signal }))
 * if (reply === undefined) console.log('no answer within 500 ms, moving on')
 * ```
 */
export function moveOnAfter<T>(
  ms: number,
  fn: (signal: AbortSignal) => Promise<T> | T,
): Promise<T | undefined> {
  return openCancelScope<T | undefined>(
    async (scope) => {
      try {
        const value = await fn(scope.signal)
        return scope.cancelledBy === 'deadline' ? undefined : value
      } catch (err) {
        if (scope.cancelledBy === 'deadline' && isCancelledBy(err, scope.signal)) return undefined
        throw err
      }
    },
    { deadlineMs: ms },
  )
}

/**
 * Runs `fn` with a deadline `ms` milliseconds from now. If the deadline cancels it,
 * rejects with a `TimeoutError` (the one `fn`'s signal aborted with) once `fn` has
 * settled with the cancellation (or with any value); otherwise settles as `fn` does.
 * Cancellation is cooperative, as for {@link moveOnAfter}.
 *
 * @example
 * ```ts
 * try {
 *   await failAfter(2_000, (signal) => connect(host, { signal }))
 * } catch (err) {
 *   if (err instanceof TimeoutError) console.log(`no connection after ${err.ms} ms`)
 *   throw err
 * }
 * ```
 */
export function failAfter<T>(ms: number, fn: (signal: AbortSignal) => Promise<T> | T): Promise<T> {
  return openCancelScope(
    async (scope) => {
      let value: T
      try {
        value = await fn(scope.signal)
      } catch (err) {
        if (scope.cancelledBy === 'deadline' && isCancelledBy(err, scope.signal)) throw scope.signal.reason
        throw err
      }
      if (scope.cancelledBy === 'deadline') throw scope.signal.reason
      return value
    },
    { deadlineMs: ms },
  )
}

/**
 * Resolves after `ms` milliseconds (`Infinity`: never, until cancelled). Rejects with the
 * signal's `reason` as soon as the ambient scope or `options.signal` is cancelled.
 *
 * @example
 * ```ts
 * await openNursery(async (n) => {
 *   n.startSoon(async () => {
 *     for (;;) {
 *       await sleep(1_000) // ends when the nursery is cancelled
 *       console.log('tick')
 *     }
 *   })
 * })
 * ```
 */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  if (Number.isNaN(ms))
    return Promise.reject(new InvalidOptionError('ms', 'expected a number of milliseconds, got NaN'))
  const signals = [...new Set([options.signal, currentSignal()])].filter(
    (signal): signal is AbortSignal => signal !== undefined,
  )
  return new Promise<void>((resolve, reject) => {
    const aborted = signals.find((signal) => signal.aborted)
    if (aborted) {
      reject(aborted.reason)
      return
    }
    const cleanups: (() => void)[] = []
    const finish = (settle: () => void): void => {
      for (const cleanup of cleanups.splice(0)) cleanup()
      settle()
    }
    if (ms !== Number.POSITIVE_INFINITY) cleanups.push(armTimer(ms, () => finish(resolve)))
    for (const signal of signals) {
      const onAbort = (): void => finish(() => reject(signal.reason))
      signal.addEventListener('abort', onAbort, { once: true })
      cleanups.push(() => signal.removeEventListener('abort', onAbort))
    }
  })
}

/**
 * Throws the signal's `reason` if it has aborted; by default checks the ambient scope.
 * A cheap checkpoint for CPU-bound loops.
 *
 * @example
 * ```ts
 * for (const row of rows) {
 *   throwIfCancelled()
 *   process(row)
 * }
 * ```
 */
export function throwIfCancelled(signal: AbortSignal | undefined = currentSignal()): void {
  signal?.throwIfAborted()
}

/**
 * Waits for one event that `subscribe` delivers, within `timeoutMs` and while `signal` holds:
 * resolves with the event, rejects with `onTimeout()` at the deadline or with the signal's
 * reason. `subscribe` returns the function that unsubscribes; it is called whichever comes first.
 */
export function waitForEvent<T>(
  subscribe: (deliver: (event: T) => void) => () => void,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | undefined
    let settled = false
    const done = () => {
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      unsubscribe?.()
    }
    const onAbort = () => {
      done()
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      done()
      reject(onTimeout())
    }, timeoutMs)
    unsubscribe = subscribe((event) => {
      if (settled) return
      done()
      resolve(event)
    })
    // A subscription that delivered at once has nothing left to undo.
    if (settled) unsubscribe()
    else if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
  })
}
