import { setMaxListeners } from 'node:events'
import { ambientStorage } from './ambient-storage.ts'
import { InvalidOptionError, TimeoutError, toCancelReason } from './errors.ts'

const ambient = ambientStorage<CancelScope>()

// setTimeout fires at once (with a warning) past this many milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1

/** What cancelled a scope: its own `cancel()`, its own deadline, or an enclosing scope or given signal. */
export type CancelledBy = 'cancel' | 'deadline' | 'parent'

/** A region of work that can be cancelled as one: everything started inside sees its signal. */
export interface CancelScope {
  /** Aborts when the scope is cancelled; its `reason` is a `CancelledError` or, at a deadline, a `TimeoutError`. */
  readonly signal: AbortSignal
  /** Whether the scope has been cancelled, by any cause. */
  readonly cancelled: boolean
  /**
   * What cancelled the scope first, or `undefined` while it runs uncancelled. Tells
   * this scope's own cancellation apart from one that came from outside.
   */
  readonly cancelledBy: CancelledBy | undefined
  /** This scope's own deadline in epoch milliseconds, or `Infinity`. An enclosing scope may cancel sooner. */
  readonly deadline: number
  /**
   * Cancels the scope: aborts its signal with `reason` wrapped in a `CancelledError`
   * (a `CancelledError` or `TimeoutError` is used as is). Does nothing once cancelled.
   */
  cancel(reason?: unknown): void
}

/** Options of {@link openCancelScope}. */
export interface CancelScopeOptions {
  /** Another signal that cancels the scope when it aborts, besides the enclosing ambient scope. */
  signal?: AbortSignal
  /**
   * Milliseconds from now until the scope cancels itself with a `TimeoutError`.
   * Zero or less cancels it before `fn` runs.
   * @default Infinity
   */
  deadlineMs?: number
}

/**
 * A scope under construction: the public {@link CancelScope} plus what its owner needs
 * to run code inside it and to unlink it when it ends.
 *
 * @internal
 */
export interface ScopeHandle {
  readonly scope: CancelScope
  /** Runs `fn` with this scope as the ambient one, for `fn` and all async work it starts. */
  run<T>(fn: () => T): T
  /** Unlinks the scope from its parents and clears its deadline timer. Idempotent. */
  close(): void
}

/**
 * The signal of the innermost ambient cancel scope (an `openCancelScope` block, a
 * nursery, a nursery task, `moveOnAfter` or `failAfter`), or `undefined` outside of all.
 *
 * @example
 * ```ts
 * await moveOnAfter(1_000, async () => {
 *   await fetch(url, { signal: currentSignal() })
 * })
 * ```
 */
export function currentSignal(): AbortSignal | undefined {
  return ambient.getStore()?.signal
}

/**
 * Runs `fn` in a new cancel scope and returns what it returns. The scope is cancelled
 * when the enclosing ambient scope is, when `options.signal` aborts, when
 * `options.deadlineMs` passes, or when `scope.cancel()` is called. Cancellation is
 * cooperative: `fn` sees it through `scope.signal` (or `currentSignal()`), and the
 * scope waits for `fn` to settle. Whatever `fn` rejects with, the scope rejects with,
 * cancellations included; `moveOnAfter` is the form that swallows its own deadline.
 *
 * @example
 * ```ts
 * const page = await openCancelScope(async (scope) => {
 *   stopButton.onclick = () => scope.cancel('stopped by the user')
 *   return fetch(url, { signal: scope.signal })
 * }, { deadlineMs: 5_000 })
 * ```
 */
export async function openCancelScope<T>(
  fn: (scope: CancelScope) => Promise<T> | T,
  options: CancelScopeOptions = {},
): Promise<T> {
  const handle = createCancelScope([currentSignal(), options.signal], options.deadlineMs)
  try {
    return await handle.run(() => fn(handle.scope))
  } finally {
    handle.close()
  }
}

/**
 * Makes a scope whose signal follows every one of `parents`, linked by listeners that
 * `close()` removes (`AbortSignal.any` keeps its sources alive on Node 20).
 *
 * @internal
 */
export function createCancelScope(
  parents: readonly (AbortSignal | undefined)[],
  deadlineMs = Number.POSITIVE_INFINITY,
): ScopeHandle {
  if (Number.isNaN(deadlineMs))
    throw new InvalidOptionError('deadlineMs', 'expected a number of milliseconds, got NaN')
  const scope = new LazyScope(deadlineMs)
  for (const parent of parents) {
    if (parent === undefined) continue
    if (parent.aborted) {
      scope.abort(parent.reason, 'parent')
      break
    }
    const onAbort = (): void => scope.abort(parent.reason, 'parent')
    parent.addEventListener('abort', onAbort, { once: true })
    scope.cleanups.push(() => parent.removeEventListener('abort', onAbort))
  }
  if (!scope.cancelled && scope.deadline !== Number.POSITIVE_INFINITY) {
    const onDeadline = (): void => scope.abort(new TimeoutError(deadlineMs), 'deadline')
    if (deadlineMs <= 0) onDeadline()
    else scope.cleanups.push(armTimer(deadlineMs, onDeadline))
  }
  return { scope, run: (fn) => ambient.run(scope, fn), close: () => scope.close() }
}

/**
 * A scope whose signal is made on first use: most scopes (one per portal call) are never asked
 * for it, and an AbortController with its listener bookkeeping is most of a scope's cost.
 */
class LazyScope implements CancelScope {
  readonly deadline: number
  readonly cleanups: (() => void)[] = []
  private controller: AbortController | undefined
  private cancelReason: { reason: unknown } | undefined
  private by: CancelledBy | undefined

  constructor(deadlineMs: number) {
    this.deadline = Number.isFinite(deadlineMs) ? Date.now() + deadlineMs : deadlineMs
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      // A scope signal has one listener per live child scope or task: many is normal, not a leak.
      setMaxListeners(0, this.controller.signal)
      if (this.cancelReason !== undefined) this.controller.abort(this.cancelReason.reason)
    }
    return this.controller.signal
  }

  get cancelled(): boolean {
    return this.cancelReason !== undefined
  }

  get cancelledBy(): CancelledBy | undefined {
    return this.by
  }

  cancel(reason?: unknown): void {
    this.abort(reason, 'cancel')
  }

  abort(reason: unknown, by: CancelledBy): void {
    if (this.cancelReason !== undefined) return
    this.by = by
    this.close()
    const cause = toCancelReason(reason)
    this.cancelReason = { reason: cause }
    this.controller?.abort(cause)
  }

  close(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup()
  }
}

/**
 * Calls `onFire` after `ms` milliseconds, even past setTimeout's 24.8-day limit;
 * returns the function that disarms it.
 *
 * @internal
 */
export function armTimer(ms: number, onFire: () => void): () => void {
  let timer: NodeJS.Timeout
  const arm = (remaining: number): void => {
    timer =
      remaining > MAX_TIMER_MS
        ? setTimeout(arm, MAX_TIMER_MS, remaining - MAX_TIMER_MS)
        : setTimeout(onFire, Math.max(0, remaining))
  }
  arm(ms)
  return () => clearTimeout(timer)
}
