import { createCancelScope } from '../../concurrency/cancel-scope.ts'
import { CancelledError } from '../../concurrency/errors.ts'
import type { Ref } from '../../core/ref.ts'
import { iteratorOf } from './context-callee.ts'
import { doneResult } from './context-inbox.ts'
import { type ExposableFunction, inCall } from './exposed-functions.ts'

/**
 * A stream of a function on this node: the generator runs directly, in the caller's loop, as
 * `actor`; the caller's `signal` cancels it as a remote one would be.
 *
 * @internal
 */
export class LocalStream<T> implements AsyncIterableIterator<T> {
  private readonly controller = new AbortController()
  private readonly scope
  private iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined
  private finished = false

  constructor(
    private readonly fn: ExposableFunction,
    private readonly args: unknown[],
    private readonly actor: Ref | undefined,
    signal: AbortSignal | undefined,
  ) {
    this.scope = createCancelScope([this.controller.signal, signal])
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.finished) return doneResult()
    const signal = this.scope.scope.signal
    if (signal.aborted) return this.abandon(signal.reason)
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      if (this.iterator === undefined)
        this.iterator = this.within(() =>
          iteratorOf((this.fn as (...args: unknown[]) => unknown)(...this.args), this.fn.name),
        )
      const iterator = this.iterator
      const result = await Promise.race([this.within(() => iterator.next()), aborted])
      if (result.done === true) this.close()
      return result as IteratorResult<T>
    } catch (error) {
      if (signal.aborted) return this.abandon(signal.reason)
      this.close()
      throw error
    } finally {
      signal.removeEventListener('abort', onAbort!)
      aborted.catch(() => {})
    }
  }

  async return(): Promise<IteratorResult<T>> {
    if (this.finished) return doneResult()
    this.controller.abort(new CancelledError('the stream was cancelled by its caller'))
    this.close()
    const iterator = this.iterator
    if (iterator?.return !== undefined) await this.within(() => iterator.return?.())
    return doneResult()
  }

  private abandon(reason: unknown): never {
    this.close()
    const iterator = this.iterator
    if (iterator?.return !== undefined)
      Promise.resolve(this.within(() => iterator.return?.())).catch(() => {})
    throw reason
  }

  private close(): void {
    this.finished = true
    this.scope.close()
  }

  private within<R>(fn: () => R): R {
    return inCall(this.actor, this.scope.scope.signal, fn, this.scope.run)
  }
}
