/** A promise with its resolve and reject in hand: a gate a test opens when it chooses. */
export interface Deferred<T> {
  readonly promise: Promise<T>
  /** Fulfils `promise` with `value`. */
  resolve(value: T): void
  /** Rejects `promise` with `error`. */
  reject(error: unknown): void
}

/**
 * Makes a {@link Deferred}.
 *
 * @example
 * ```ts
 * const gate = deferred()
 * const Slow = defineActor<string>({ receive: async () => { await gate.promise } })
 * // ... fill the mailbox while the first message waits at the gate
 * gate.resolve()
 * ```
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
