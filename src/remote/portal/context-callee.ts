import { createCancelScope } from '../../concurrency/cancel-scope.ts'
import { CancelledError } from '../../concurrency/errors.ts'
import type { ContextChannel } from '../../core/function-ref.ts'
import type { Ref } from '../../core/ref.ts'
import type { OpenMode } from '../../wire/envelope.ts'
import { ContextClosedError, ContextMisuseError } from '../node/errors.ts'
import { ContextInbox } from './context-inbox.ts'
import { ContextOutbox } from './context-outbox.ts'
import { type ExposableFunction, inCall, runExposed } from './exposed-functions.ts'

/** What the callee's end of a context tells the caller's. */
export interface CalleeLink {
  started(first: unknown): void
  item(value: unknown): void
  credit(n: number): void
  /** The function returned `result` (a stream's generator ended). */
  ended(result: unknown): void
  failed(error: unknown): void
  /** A cancelled stream's generator threw while it returned: no one is left to tell but the log. */
  returnFailed(error: unknown): void
}

/**
 * The callee's end of remote work in one of three modes (see `OpenMode`): runs `fn` as `actor`,
 * in a cancel scope of its own that the caller's `cancel` cancels, and reports through `link`.
 * A `run` is answered even once cancelled (with what it ended with); a `stream` pulls its
 * generator only while the caller has granted credit; a `context` gets a channel first.
 *
 * @internal
 */
export class ContextCallee {
  private readonly scope = createCancelScope([])
  /** What the caller sent and what the function sends: only a `context` has them. */
  private readonly inbox: ContextInbox | undefined
  private readonly outbox: ContextOutbox | undefined
  private startedCalled = false
  private over = false
  /** A stream's credit: how many more items the generator may yield before it waits. */
  private credit: number
  private wake: (() => void) | undefined
  private generator: AsyncIterator<unknown> | Iterator<unknown> | undefined

  constructor(
    readonly mode: OpenMode,
    private readonly fn: ExposableFunction,
    private readonly args: readonly unknown[],
    private readonly actor: Ref | undefined,
    window: number,
    private readonly link: CalleeLink,
  ) {
    this.credit = window
    if (mode !== 'context') return
    this.inbox = new ContextInbox(window, (n) => {
      if (!this.over) link.credit(n)
    })
    this.outbox = new ContextOutbox(window, (value) => link.item(value))
  }

  /** Runs the function to its end and reports it, unless cancelled (a `run` reports even then); never rejects. */
  async run(): Promise<void> {
    try {
      const result = await this.body()
      if (!this.over || this.mode === 'run') this.link.ended(result)
    } catch (error) {
      if (!this.over || this.mode === 'run') this.link.failed(error)
    } finally {
      this.over = true
      this.outbox?.close(new ContextClosedError(`cannot send: '${this.fn.name}' has returned`))
      this.scope.close()
    }
  }

  private async body(): Promise<unknown> {
    if (this.mode === 'stream') return this.pull()
    if (this.mode === 'run')
      return runExposed(this.fn, this.args, this.actor, this.scope.scope, this.scope.run)
    const result = await runExposed(
      this.fn,
      [new Channel(this), ...this.args],
      this.actor,
      this.scope.scope,
      this.scope.run,
    )
    if (!this.startedCalled)
      throw new ContextMisuseError(`'${this.fn.name}' returned before it called channel.started()`)
    return result
  }

  /**
   * Pulls the generator while it has credit, sending each item; resolves once it is done. The
   * whole loop runs in the call's context, where a generator's body resumes on each `next()`:
   * entering it per item cost two AsyncLocalStorage runs an item.
   */
  private pull(): Promise<undefined> {
    return this.within(async () => {
      const iterator = iteratorOf((this.fn as (...args: unknown[]) => unknown)(...this.args), this.fn.name)
      this.generator = iterator
      while (!this.over) {
        if (this.credit <= 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve
          })
          continue
        }
        const result = await iterator.next()
        if (this.over || result.done === true) break
        this.credit--
        this.link.item(result.value)
      }
      return undefined
    })
  }

  // ---- from the caller ----

  item(value: unknown): void {
    this.inbox?.push(value)
  }

  grant(n: number): void {
    if (this.mode !== 'stream') {
      this.outbox?.grant(n)
      return
    }
    this.credit += n
    this.resume()
  }

  end(): void {
    this.inbox?.end()
  }

  cancel(reason: unknown = new CancelledError('the context was cancelled by its caller')): void {
    if (this.over) return
    this.scope.scope.cancel(reason)
    // A run goes on to its answer: the caller may still be waiting for it.
    if (this.mode === 'run') return
    this.over = true
    this.inbox?.fail(reason, false)
    this.outbox?.close(reason)
    this.resume()
    const iterator = this.generator
    if (iterator?.return !== undefined) {
      // Queued behind a pending next(), if any: the generator's finally blocks run.
      Promise.resolve(this.within(() => iterator.return?.())).catch((error: unknown) =>
        this.link.returnFailed(error),
      )
    }
  }

  // ---- from the function, through its channel ----

  get signal(): AbortSignal {
    return this.scope.scope.signal
  }

  started(first: unknown): void {
    if (this.startedCalled) throw new ContextMisuseError('channel.started() was already called')
    this.startedCalled = true
    if (!this.over) this.link.started(first)
  }

  send(value: unknown): Promise<void> {
    if (!this.startedCalled && !this.over)
      return Promise.reject(new ContextMisuseError('call channel.started() before channel.send()'))
    return this.contextOnly(this.outbox).send(value)
  }

  next(): Promise<IteratorResult<unknown, undefined>> {
    return this.contextOnly(this.inbox).next()
  }

  iterator(): AsyncIterableIterator<unknown> {
    return this.contextOnly(this.inbox).iterator()
  }

  /** The channel's inbox or outbox: only a `context`'s function has a channel. */
  private contextOnly<T>(box: T | undefined): T {
    if (box === undefined) throw new ContextMisuseError(`a ${this.mode} has no channel`)
    return box
  }

  private resume(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private within<T>(fn: () => T): T {
    return inCall(this.actor, this.scope.scope, fn, this.scope.run)
  }
}

/** The iterator of what `fn(...args)` returned, or throws a `TypeError` if it is no (async) iterable. */
export function iteratorOf(produced: unknown, name: string): AsyncIterator<unknown> | Iterator<unknown> {
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

/** The channel a context function gets as its first argument. */
class Channel implements ContextChannel<unknown, unknown, unknown> {
  constructor(private readonly callee: ContextCallee) {}

  get signal(): AbortSignal {
    return this.callee.signal
  }

  started(first: unknown): void {
    this.callee.started(first)
  }

  send(value: unknown): Promise<void> {
    return this.callee.send(value)
  }

  next(): Promise<IteratorResult<unknown, undefined>> {
    return this.callee.next()
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this.callee.iterator()
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'ContextChannel'
  }
}
