import { createCancelScope } from '../../concurrency/cancel-scope.ts'
import { CancelledError, toCancelReason } from '../../concurrency/errors.ts'
import type { ContextChannel, PortalContext } from '../../core/function-ref.ts'
import type { Ref } from '../../core/ref.ts'
import { ContextClosedError } from '../node/errors.ts'
import { type ExposableFunction, runExposed } from './exposed-functions.ts'
import { ItemQueue } from './item-queue.ts'

/** What the caller's end of a context tells the callee's (a `Peer` over the wire, or the callee itself on one node). */
export interface CallerLink {
  /** A value the caller sent; it spent one of the caller's credits. */
  item(value: unknown): void
  /** The caller read `n` more values: the callee may send `n` more. */
  credit(n: number): void
  /** The caller closed its side. */
  end(): void
  /** The caller gave up: the callee's signal aborts with `reason`. */
  cancel(reason: unknown): void
}

/** What the callee's end of a context tells the caller's. */
export interface CalleeLink {
  started(first: unknown): void
  item(value: unknown): void
  credit(n: number): void
  returned(result: unknown): void
  failed(error: unknown): void
}

type Waiter = {
  resolve: (result: IteratorResult<unknown, undefined>) => void
  reject: (error: unknown) => void
}

function doneResult(): IteratorResult<never, undefined> {
  return { value: undefined, done: true }
}

/**
 * What one end of a context has received and not yet read: at most a window, since the other end
 * sends only with credit, granted back every half window read. Read by one loop at a time; a loop
 * that leaves early leaves the rest for the next one.
 */
class Inbox {
  private readonly queue = new ItemQueue<unknown>()
  private ended = false
  private failure: { error: unknown } | undefined
  private waiter: Waiter | undefined
  private ungranted = 0
  private readonly refill: number

  constructor(
    window: number,
    private readonly grant: (n: number) => void,
  ) {
    this.refill = Math.max(1, Math.ceil(window / 2))
  }

  push(value: unknown): void {
    if (this.ended || this.failure !== undefined) return
    const waiter = this.waiter
    if (waiter === undefined) {
      this.queue.push(value)
      return
    }
    this.waiter = undefined
    this.consumed()
    waiter.resolve({ value, done: false })
  }

  /** No more values will come; those that came are still read. */
  end(): void {
    if (this.ended || this.failure !== undefined) return
    this.ended = true
    this.flush()
  }

  /** Reading throws `error`, after what came when `keep`, at once otherwise. */
  fail(error: unknown, keep: boolean): void {
    if (this.failure !== undefined) return
    this.failure = { error }
    if (!keep) {
      this.queue.clear()
    }
    this.flush()
  }

  next(): Promise<IteratorResult<unknown, undefined>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift()
      this.consumed()
      return Promise.resolve({ value, done: false })
    }
    if (this.failure !== undefined) return Promise.reject(this.failure.error)
    if (this.ended) return Promise.resolve(doneResult())
    if (this.waiter !== undefined)
      return Promise.reject(new TypeError('a context is read by one loop at a time'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  /** An iterator for one loop: leaving it early (`break`) ends the loop, not the context. */
  iterator<T>(): AsyncIterableIterator<T> {
    const view: AsyncIterableIterator<T> = {
      next: () => this.next() as Promise<IteratorResult<T>>,
      return: () => Promise.resolve(doneResult()),
      [Symbol.asyncIterator]: () => view,
    }
    return view
  }

  private flush(): void {
    const waiter = this.waiter
    if (waiter === undefined) return
    this.waiter = undefined
    if (this.failure !== undefined) waiter.reject(this.failure.error)
    else waiter.resolve(doneResult())
  }

  private consumed(): void {
    if (++this.ungranted < this.refill || this.ended || this.failure !== undefined) return
    const n = this.ungranted
    this.ungranted = 0
    this.grant(n)
  }
}

/** The sending side of one end of a context: a value goes out only with credit; `send` waits for it. */
class Outbox {
  private readonly waiting: { value: unknown; resolve: () => void; reject: (error: unknown) => void }[] = []
  private closed: { error: unknown } | undefined

  constructor(
    private credit: number,
    private readonly emit: (value: unknown) => void,
  ) {}

  send(value: unknown): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(this.closed.error)
    if (this.waiting.length === 0 && this.credit > 0) {
      this.credit--
      this.emit(value)
      return this.sent()
    }
    return new Promise((resolve, reject) => this.waiting.push({ value, resolve, reject }))
  }

  grant(n: number): void {
    this.credit += n
    while (this.credit > 0 && this.closed === undefined) {
      const next = this.waiting.shift()
      if (next === undefined) return
      this.credit--
      this.emit(next.value)
      this.sent().then(next.resolve, next.reject)
    }
  }

  /** How a value that went out fared: one too large for a frame is refused at once, which ends the context. */
  private sent(): Promise<void> {
    const closed = this.closed
    return closed === undefined ? Promise.resolve() : Promise.reject(closed.error)
  }

  /** Sends from now on (and those still waiting for credit) reject with `error`. */
  close(error: unknown): void {
    if (this.closed !== undefined) return
    this.closed = { error }
    for (const waiter of this.waiting.splice(0)) waiter.reject(error)
  }
}

/**
 * The caller's end of a context (what `portal.open` resolves with): `opened` settles once the
 * callee called `started` (or failed first). The caller's signal cancels it.
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
  private readonly inbox: Inbox
  private readonly outbox: Outbox

  constructor(
    readonly window: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.opened = new Promise((resolve, reject) => {
      this.settleOpened = { resolve, reject }
    })
    this.outcome = new Promise((resolve, reject) => {
      this.settleOutcome = { resolve, reject }
    })
    // Whoever gets no handle on the context (open rejected) never asks for its result.
    this.outcome.catch(() => {})
    this.inbox = new Inbox(window, (n) => this.link?.credit(n))
    this.outbox = new Outbox(window, (value) => this.link?.item(value))
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
    this.inbox.push(value)
  }

  credit(n: number): void {
    this.outbox.grant(n)
  }

  returned(result: unknown): void {
    if (this.state === 'over') return
    this.started(undefined)
    this.finish()
    this.inbox.end()
    this.outbox.close(new ContextClosedError('cannot send: the callee of this context has returned'))
    this.settleOutcome.resolve(result)
  }

  fail(error: unknown): void {
    if (this.state === 'over') return
    this.finish()
    this.inbox.fail(error, true)
    this.outbox.close(error)
    this.settleOpened.reject(error)
    this.settleOutcome.reject(error)
  }

  // ---- PortalContext ----

  send(value: unknown): Promise<void> {
    return this.outbox.send(value)
  }

  next(): Promise<IteratorResult<unknown, undefined>> {
    return this.inbox.next()
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this.inbox.iterator()
  }

  async close(): Promise<void> {
    if (this.state === 'over' || this.closedByCaller) return
    this.closedByCaller = true
    this.outbox.close(new ContextClosedError('cannot send: this context was closed by its caller'))
    this.link?.end()
  }

  cancel(reason?: unknown): void {
    const error =
      reason === undefined
        ? new CancelledError('the context was cancelled by its caller')
        : toCancelReason(reason)
    if (this.state !== 'over') this.cancelledWith = { reason: error }
    this.abandon(error)
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

  private abandon(reason: unknown): void {
    if (this.state === 'over') return
    this.finish()
    this.inbox.fail(reason, false)
    this.outbox.close(reason)
    this.settleOpened.reject(reason)
    this.settleOutcome.reject(reason)
    this.link?.cancel(reason)
  }

  private finish(): void {
    this.state = 'over'
    this.signal?.removeEventListener('abort', this)
  }
}

/**
 * The callee's end of a context: runs `fn(channel, ...args)` as `actor`, in a cancel scope of its
 * own whose signal aborts when the caller cancels, and reports how it went through `link`.
 *
 * @internal
 */
export class ContextCallee {
  private readonly controller = new AbortController()
  private readonly scope = createCancelScope([this.controller.signal])
  private readonly inbox: Inbox
  private readonly outbox: Outbox
  private startedCalled = false
  private over = false

  constructor(
    private readonly fn: ExposableFunction,
    private readonly args: readonly unknown[],
    private readonly actor: Ref | undefined,
    window: number,
    private readonly link: CalleeLink,
  ) {
    this.inbox = new Inbox(window, (n) => {
      if (!this.over) link.credit(n)
    })
    this.outbox = new Outbox(window, (value) => link.item(value))
  }

  /** Runs the function to its end and reports it, unless cancelled; never rejects. */
  async run(): Promise<void> {
    const channel = new Channel(this)
    try {
      const result = await runExposed(
        this.fn,
        [channel, ...this.args],
        this.actor,
        this.controller.signal,
        this.scope.run,
      )
      if (!this.startedCalled)
        throw new TypeError(`'${this.fn.name}' returned before it called channel.started()`)
      if (!this.over) this.link.returned(result)
    } catch (error) {
      if (!this.over) this.link.failed(error)
    } finally {
      this.over = true
      this.outbox.close(new ContextClosedError(`cannot send: '${this.fn.name}' has returned`))
      this.scope.close()
    }
  }

  // ---- from the caller ----

  item(value: unknown): void {
    this.inbox.push(value)
  }

  grant(n: number): void {
    this.outbox.grant(n)
  }

  end(): void {
    this.inbox.end()
  }

  cancel(reason: unknown = new CancelledError('the context was cancelled by its caller')): void {
    if (this.over) return
    this.over = true
    this.controller.abort(reason)
    this.inbox.fail(reason, false)
    this.outbox.close(reason)
  }

  // ---- from the function, through its channel ----

  get signal(): AbortSignal {
    return this.controller.signal
  }

  started(first: unknown): void {
    if (this.startedCalled) throw new TypeError('channel.started() was already called')
    this.startedCalled = true
    if (!this.over) this.link.started(first)
  }

  send(value: unknown): Promise<void> {
    if (!this.startedCalled && !this.over)
      return Promise.reject(new TypeError('call channel.started() before channel.send()'))
    return this.outbox.send(value)
  }

  next(): Promise<IteratorResult<unknown, undefined>> {
    return this.inbox.next()
  }

  iterator(): AsyncIterableIterator<unknown> {
    return this.inbox.iterator()
  }
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

/**
 * Opens a context of a function on this node: it runs here, as `actor`, talking with its caller
 * directly, with the same credit and cancellation as across nodes; what it throws rejects as is.
 *
 * @internal
 */
export function openLocalContext(
  fn: ExposableFunction,
  args: readonly unknown[],
  actor: Ref | undefined,
  window: number,
  signal: AbortSignal | undefined,
): Promise<ContextCaller> {
  const caller = new ContextCaller(window, signal)
  if (caller.over) return caller.opened
  const callee = new ContextCallee(fn, args, actor, window, {
    started: (first) => caller.started(first),
    item: (value) => caller.item(value),
    credit: (n) => caller.credit(n),
    returned: (result) => caller.returned(result),
    failed: (error) => caller.fail(error),
  })
  caller.attach({
    item: (value) => callee.item(value),
    credit: (n) => callee.grant(n),
    end: () => callee.end(),
    cancel: (reason) => callee.cancel(reason),
  })
  void callee.run()
  return caller.opened
}
