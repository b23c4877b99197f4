import { createCancelScope } from '../../concurrency/cancel-scope.ts'
import { CancelledError } from '../../concurrency/errors.ts'
import type { Ref } from '../../core/ref.ts'
import { type ExposableFunction, inCall } from './exposed-functions.ts'
import { ItemQueue } from './item-queue.ts'

/** How many items a stream lets the remote generator run ahead of its consumer by default. */
export const DEFAULT_STREAM_WINDOW = 1024

export type { StreamItem } from '../../core/function-ref.ts'

/** What the consumer of a remote stream tells the node that runs it (a `Peer` provides it). */
export interface StreamLink {
  /** The consumer took `n` more items: the producer may pull `n` more. */
  credit(n: number): void
  /** The consumer gave up: the producer returns its generator. */
  cancel(): void
}

type Waiter = { resolve: (result: IteratorResult<unknown>) => void; reject: (error: unknown) => void }

/**
 * The caller's end of a stream from another node: items arrive into a buffer of at most
 * `window` (the producer has that much credit), and every half window consumed is granted back.
 * `return()` (a `break` out of `for await`) or the caller's signal cancels the remote generator.
 *
 * @internal
 */
export class StreamConsumer<T> implements AsyncIterableIterator<T> {
  private readonly queue = new ItemQueue<unknown>()
  private finished = false
  private failure: { error: unknown } | undefined
  private waiter: Waiter | undefined
  private link: StreamLink | undefined
  private ungranted = 0
  private readonly refill: number

  constructor(
    readonly window: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.refill = Math.max(1, Math.ceil(window / 2))
    if (signal !== undefined) {
      if (signal.aborted) this.cancel(signal.reason)
      else signal.addEventListener('abort', this, { once: true })
    }
  }

  /** Whether no more items will come (ended, failed or cancelled). */
  get done(): boolean {
    return this.finished
  }

  /** The stream was opened on the producer's node: credit and cancel go there. */
  attach(link: StreamLink): void {
    this.link = link
  }

  // ---- from the producer ----

  item(value: unknown): void {
    if (this.finished) return
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      this.consumed()
      waiter.resolve({ value, done: false })
    } else {
      this.queue.push(value)
    }
  }

  end(): void {
    if (this.finished) return
    this.finish()
    this.flush()
  }

  fail(error: unknown): void {
    if (this.finished) return
    this.finish()
    this.failure = { error }
    this.flush()
  }

  // ---- the iterator ----

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift()
      this.consumed()
      return Promise.resolve({ value: value as T, done: false })
    }
    if (this.failure !== undefined) {
      const { error } = this.failure
      this.failure = { error: undefined }
      // The error is thrown once; after it the iterator is done, as a generator's would be.
      return error === undefined ? Promise.resolve(doneResult()) : Promise.reject(error)
    }
    if (this.finished) return Promise.resolve(doneResult())
    if (this.waiter !== undefined)
      return Promise.reject(new TypeError('a stream is read by one loop at a time'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve: resolve as Waiter['resolve'], reject }
    })
  }

  return(): Promise<IteratorResult<T>> {
    this.cancel(undefined)
    this.queue.clear()
    this.failure = undefined
    return Promise.resolve(doneResult())
  }

  /** The abort listener of the caller's signal. */
  handleEvent(): void {
    this.cancel(this.signal?.reason)
  }

  /** Stops the stream from the caller's side: the producer is cancelled, a pending `next` rejects with `reason`. */
  private cancel(reason: unknown): void {
    if (this.finished) return
    this.finish()
    this.queue.clear()
    this.link?.cancel()
    if (reason !== undefined) this.failure = { error: reason }
    this.flush()
  }

  /** No more items will come; those that came are still read, before the end or the error. */
  private finish(): void {
    this.finished = true
    this.signal?.removeEventListener('abort', this)
  }

  private flush(): void {
    const waiter = this.waiter
    if (waiter === undefined) return
    this.waiter = undefined
    if (this.failure !== undefined && this.failure.error !== undefined) {
      const { error } = this.failure
      this.failure = { error: undefined }
      waiter.reject(error)
    } else {
      waiter.resolve(doneResult())
    }
  }

  private consumed(): void {
    if (++this.ungranted < this.refill) return
    const n = this.ungranted
    this.ungranted = 0
    this.link?.credit(n)
  }
}

function doneResult(): IteratorResult<never> {
  return { value: undefined, done: true }
}

/** What a stream's producer sends to its consumer (a `Peer` provides it). */
export interface StreamSink {
  item(value: unknown): void
  end(): void
  fail(error: unknown): void
}

/** The iterator of what `fn(...args)` returned, or throws a `TypeError` if it is no (async) iterable. */
function iteratorOf(produced: unknown, name: string): AsyncIterator<unknown> | Iterator<unknown> {
  if (typeof produced === 'object' && produced !== null) {
    const asyncIterator = (produced as AsyncIterable<unknown>)[Symbol.asyncIterator]
    if (typeof asyncIterator === 'function') return asyncIterator.call(produced)
    const iterator = (produced as Iterable<unknown>)[Symbol.iterator]
    if (typeof iterator === 'function') return iterator.call(produced)
  }
  throw new TypeError(
    `'${name}' is streamed, so it must return an async iterable (an async generator function)`,
  )
}

/**
 * The producer's end of a stream: runs the generator as `actor`, in a cancel scope of its own,
 * and pulls an item only while the consumer has granted credit.
 *
 * @internal
 */
export class StreamProducer {
  private credit: number
  private wake: (() => void) | undefined
  private cancelled = false
  private readonly controller = new AbortController()
  private readonly scope = createCancelScope([this.controller.signal])
  private iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined

  constructor(
    private readonly fn: ExposableFunction,
    private readonly args: unknown[],
    private readonly actor: Ref | undefined,
    window: number,
    private readonly sink: StreamSink,
    /** Called once the stream is over, whichever way. */
    private readonly onDone: () => void,
    private readonly onReturnError: (error: unknown) => void,
  ) {
    this.credit = window
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** Runs the stream to its end; never rejects. */
  async run(): Promise<void> {
    try {
      const iterator = this.within(() =>
        iteratorOf((this.fn as (...args: unknown[]) => unknown)(...this.args), this.fn.name),
      )
      this.iterator = iterator
      while (!this.cancelled) {
        if (this.credit <= 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve
          })
          continue
        }
        const result = await this.within(() => iterator.next())
        if (this.cancelled) break
        if (result.done === true) {
          this.sink.end()
          break
        }
        this.credit--
        this.sink.item(result.value)
      }
    } catch (error) {
      if (!this.cancelled) this.sink.fail(error)
    } finally {
      this.cancelled = true
      this.scope.close()
      this.onDone()
    }
  }

  grant(n: number): void {
    this.credit += n
    this.resume()
  }

  /** The consumer gave up (or is gone): abort the call's signal and return the generator. */
  cancel(reason: unknown = new CancelledError('the stream was cancelled by its caller')): void {
    if (this.cancelled) return
    this.cancelled = true
    this.controller.abort(reason)
    this.resume()
    const iterator = this.iterator
    if (iterator?.return !== undefined) {
      // Queued behind a pending next(), if any: the generator's finally blocks run.
      Promise.resolve(this.within(() => iterator.return?.())).catch(this.onReturnError)
    }
  }

  private resume(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private within<T>(fn: () => T): T {
    return inCall(this.actor, this.controller.signal, fn, this.scope.run)
  }
}

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
