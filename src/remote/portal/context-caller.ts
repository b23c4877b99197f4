import { CancelledError, toCancelReason } from '../../concurrency/errors.ts'
import type { PortalContext } from '../../core/function-ref.ts'
import type { OpenMode } from '../../wire/envelope.ts'
import { ContextClosedError } from '../node/errors.ts'
import { ContextInbox } from './context-inbox.ts'
import { ContextOutbox } from './context-outbox.ts'

/** What the caller's end of a context tells the callee's (a peer over the wire, or the callee itself on one node). */
export interface CallerLink {
  /** A value the caller sent; it spent one of the caller's credits. */
  item(value: unknown): void
  /** The caller read `n` more values: the callee may send (or pull) `n` more. */
  credit(n: number): void
  /** The caller closed its side. */
  end(): void
  /** The caller gave up: the callee's signal aborts with `reason`, if given. */
  cancel(reason: unknown): void
}

/**
 * The caller's end of remote work, in one of three modes (see `OpenMode`): a `run` is only its
 * `result()`; a `stream` is read through `stream()`, whose early `return` cancels the callee; a
 * `context` is what `portal.open` resolves with, once the callee called `started` (`opened`).
 * The caller's signal cancels it.
 *
 * @internal
 */
export class ContextCaller implements PortalContext {
  first: unknown
  /** Resolves with this context once the callee called `started`; rejects if it failed first. */
  readonly opened: Promise<ContextCaller>
  private readonly outcome: Promise<unknown>
  private settleOpened!: { resolve: (context: ContextCaller) => void; reject: (error: unknown) => void }
  private settleOutcome!: { resolve: (result: unknown) => void; reject: (error: unknown) => void }
  private state: 'opening' | 'open' | 'over' = 'opening'
  private closedByCaller = false
  private cancelledWith: { reason: unknown } | undefined
  private link: CallerLink | undefined
  /** What the callee sent (a stream's items, a context's values); a `run` has none. */
  private readonly inbox: ContextInbox | undefined
  /** What the caller sends: only a `context` sends. */
  private readonly outbox: ContextOutbox | undefined

  constructor(
    readonly mode: OpenMode,
    readonly window: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.opened = new Promise((resolve, reject) => {
      this.settleOpened = { resolve, reject }
    })
    this.outcome = new Promise((resolve, reject) => {
      this.settleOutcome = { resolve, reject }
    })
    // Whoever gets no handle on the context (open rejected, a stream) never asks for its result.
    this.outcome.catch(() => {})
    this.opened.catch(() => {})
    // A run allocates neither, nor the errors that would close them (an error's stack costs more than the rest of a run's bookkeeping).
    if (mode !== 'run') this.inbox = new ContextInbox(window, (n) => this.link?.credit(n), mode === 'stream')
    if (mode === 'context') this.outbox = new ContextOutbox(window, (value) => this.link?.item(value))
    if (signal !== undefined) {
      if (signal.aborted) this.abandon(signal.reason)
      else signal.addEventListener('abort', this, { once: true })
    }
  }

  /** Whether the context is over (returned, failed or cancelled). */
  get over(): boolean {
    return this.state === 'over'
  }

  /** The context was opened on the callee's node: values, credit, the end and cancel go there. */
  attach(link: CallerLink): void {
    this.link = link
  }

  // ---- from the callee ----

  started(first: unknown): void {
    if (this.state !== 'opening') return
    this.state = 'open'
    this.first = first
    this.settleOpened.resolve(this)
  }

  item(value: unknown): void {
    this.inbox?.push(value)
  }

  credit(n: number): void {
    this.outbox?.grant(n)
  }

  /** The callee's function returned `result` (a stream's generator ended). */
  ended(result: unknown): void {
    if (this.state === 'over') return
    this.started(undefined)
    this.finish()
    this.inbox?.end()
    this.outbox?.close(new ContextClosedError('cannot send: the callee of this context has returned'))
    this.settleOutcome.resolve(result)
  }

  fail(error: unknown): void {
    if (this.state === 'over') return
    this.finish()
    this.inbox?.fail(error, true)
    this.outbox?.close(error)
    this.settleOpened.reject(error)
    this.settleOutcome.reject(error)
  }

  // ---- the caller ----

  /** The items of a stream, for one `for await`: leaving it early cancels the callee. */
  stream<T>(): AsyncIterableIterator<T> {
    return this.received().iterator<T>(() => this.abandon(undefined))
  }

  send(value: unknown): Promise<void> {
    if (this.outbox === undefined) return Promise.reject(new TypeError(`a ${this.mode} cannot send`))
    return this.outbox.send(value)
  }

  next(): Promise<IteratorResult<unknown, undefined>> {
    return this.received().next()
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this.received().iterator()
  }

  private received(): ContextInbox {
    if (this.inbox === undefined) throw new TypeError(`a ${this.mode} has only its result`)
    return this.inbox
  }

  async close(): Promise<void> {
    if (this.state === 'over' || this.closedByCaller) return
    this.closedByCaller = true
    this.outbox?.close(new ContextClosedError('cannot send: this context was closed by its caller'))
    this.link?.end()
  }

  cancel(reason?: unknown): void {
    // Over: nothing to cancel, and no error to make (every run's ask cancels it once settled).
    if (this.state === 'over') return
    const error =
      reason === undefined
        ? new CancelledError('the context was cancelled by its caller')
        : toCancelReason(reason)
    this.cancelledWith = { reason: error }
    this.abandon(error)
  }

  /** Cancels the callee but goes on waiting for its answer (a `run`'s callee still answers). */
  interrupt(): void {
    if (this.state !== 'over') this.link?.cancel(undefined)
  }

  result(): Promise<unknown> {
    return this.outcome
  }

  /** Closes the caller's side and waits for the callee's result; a `cancel()` of its own is no error. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
    try {
      await this.outcome
    } catch (error) {
      if (this.cancelledWith === undefined || error !== this.cancelledWith.reason) throw error
    }
  }

  /** The abort listener of the caller's signal. */
  handleEvent(): void {
    this.abandon(this.signal?.reason)
  }

  /** Ends the context from the caller's side: the callee is cancelled, reading throws `reason` (or ends without one). */
  private abandon(reason: unknown): void {
    if (this.state === 'over') return
    this.finish()
    this.inbox?.fail(reason, false)
    this.outbox?.close(reason)
    this.settleOpened.reject(reason)
    this.settleOutcome.reject(reason)
    this.link?.cancel(reason)
  }

  private finish(): void {
    this.state = 'over'
    this.signal?.removeEventListener('abort', this)
  }
}
