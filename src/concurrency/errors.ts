/**
 * The root of every error Troupe throws. `name` is the class name, so logs and
 * `err.name` checks read well, and `cause` carries the underlying error.
 *
 * @example
 * ```ts
 * class MailboxFullError extends TroupeError {}
 * const err = new MailboxFullError('mailbox of /user/a is full', { cause: original })
 * err.name // 'MailboxFullError'
 * ```
 */
export class TroupeError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

/**
 * An option or argument given to Troupe is not valid (to `spawn`, `start`, `defineActor`, `sleep`,
 * a cancel scope, …); `option` names it.
 */
export class InvalidOptionError extends TroupeError {
  constructor(
    readonly option: string,
    detail: string,
  ) {
    super(`invalid option '${option}': ${detail}`)
  }
}

/** Options of {@link CancelledError}. */
export interface CancelledErrorOptions {
  /** Why the work was cancelled: whatever was given to `cancel(reason)`. */
  reason?: unknown
  /** The error behind the cancellation, if any (a failed sibling task, a foreign abort reason). */
  cause?: unknown
}

/**
 * A cancel scope, a nursery or a task was cancelled. It is the `reason` of every
 * signal that Troupe aborts, except at a deadline, where the reason is a {@link TimeoutError}.
 */
export class CancelledError extends TroupeError {
  /** What was given to `cancel(reason)`, if anything. */
  readonly reason?: unknown

  constructor(message = 'cancelled', options: CancelledErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined)
    this.reason = options.reason
  }
}

/**
 * A deadline passed: `failAfter` throws it, and a scope with a deadline aborts its
 * signal with it. It is not a cancellation for {@link isCancellation}: a timeout that
 * escapes its block is a failure.
 */
export class TimeoutError extends TroupeError {
  /** The time limit that passed, in milliseconds. */
  readonly ms: number

  constructor(ms: number, message = `timed out after ${ms} ms`, options?: ErrorOptions) {
    super(message, options)
    this.ms = ms
  }
}

/**
 * Whether `err` says that work was cancelled: a {@link CancelledError}, or an error
 * named `AbortError` (what `fetch`, `timers/promises` and other Node APIs throw on abort).
 */
export function isCancellation(err: unknown): boolean {
  return (
    err instanceof CancelledError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError')
  )
}

/**
 * Whether `err` is how work reacted to `signal` being aborted: the signal has aborted and
 * `err` is its reason (even a {@link TimeoutError}) or any cancellation error.
 * Use it to tell a cancellation apart from a real failure in a `catch`.
 *
 * @example
 * ```ts
 * try {
 *   await sleep(1_000, { signal })
 * } catch (err) {
 *   if (!isCancelledBy(err, signal)) throw err
 * }
 * ```
 */
export function isCancelledBy(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (err === signal.reason || isCancellation(err))
}

/**
 * Turns anything given as a cancel reason into the error a Troupe signal aborts with:
 * Troupe's own cancellation and timeout errors pass unchanged (so nested scopes share
 * one reason), anything else is wrapped in a {@link CancelledError}.
 *
 * @internal
 */
export function toCancelReason(reason: unknown): CancelledError | TimeoutError {
  if (reason instanceof CancelledError || reason instanceof TimeoutError) return reason
  if (reason === undefined) return new CancelledError()
  if (reason instanceof Error) {
    return new CancelledError(`cancelled: ${reason.message}`, { reason, cause: reason })
  }
  return new CancelledError(`cancelled: ${String(reason)}`, { reason })
}
