import { currentSignal } from '../concurrency/cancel-scope.ts'
import { AskTimeoutError } from './errors.ts'
import { type AskOptions, type Ref, RefBase } from './ref.ts'

/**
 * The temporary sender of an `ask`: telling it resolves the asker's promise. Timeouts share one
 * timer per timeout value (a FIFO is already in deadline order), so an ask costs no timer of
 * its own.
 */
export class AskRef extends RefBase {
  readonly promise: Promise<unknown>
  settled = false
  private resolveReply!: (value: unknown) => void
  private rejectReply!: (error: unknown) => void
  private abortSignal: AbortSignal | undefined
  readonly deadline: number

  constructor(
    private readonly timeouts: AskTimeouts,
    readonly target: Ref,
    readonly timeoutMs: number,
    signal: AbortSignal | undefined,
  ) {
    super()
    this.promise = new Promise((resolve, reject) => {
      this.resolveReply = resolve
      this.rejectReply = reject
    })
    this.deadline = Date.now() + timeoutMs
    if (signal !== undefined) {
      if (signal.aborted) {
        this.fail(signal.reason)
      } else {
        this.abortSignal = signal
        signal.addEventListener('abort', this, { once: true })
      }
    }
    if (!this.settled) timeouts.add(this)
  }

  get address(): string {
    return `${this.target.address}#ask`
  }

  get path(): string {
    return `${this.target.path}#ask`
  }

  get name(): string {
    return 'ask'
  }

  tell(message: unknown): void {
    if (this.settled) return
    const isolate = this.timeouts.isolate
    const reply = isolate === null ? message : isolate(message)
    this.settle()
    this.resolveReply(reply)
  }

  override failReply(error: unknown): void {
    this.fail(error)
  }

  fail(error: unknown): void {
    if (this.settled) return
    this.settle()
    this.rejectReply(error)
  }

  ask<R>(): Promise<R> {
    return Promise.reject(new TypeError('an ask reply ref cannot be asked'))
  }

  send(message: unknown): Promise<void> {
    this.tell(message)
    return Promise.resolve()
  }

  /** The abort listener (an object listener avoids a closure per ask). */
  handleEvent(): void {
    this.fail(this.abortSignal?.reason)
  }

  expire(): void {
    this.fail(new AskTimeoutError(this.target.address, this.timeoutMs))
  }

  private settle(): void {
    this.settled = true
    if (this.abortSignal !== undefined) {
      this.abortSignal.removeEventListener('abort', this)
      this.abortSignal = undefined
    }
    this.timeouts.settled(this.timeoutMs)
  }
}

/** setTimeout's longest delay; a longer deadline is re-armed when the timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1

class Bucket {
  queue: AskRef[] = []
  head = 0
  timer: NodeJS.Timeout | null = null
}

/** Deadlines of pending asks, in one FIFO per timeout value. */
export class AskTimeouts {
  private readonly buckets = new Map<number, Bucket>()

  constructor(
    readonly defaultTimeoutMs: number,
    /** Replies are isolated like any message. */
    readonly isolate: ((message: unknown) => unknown) | null,
  ) {}

  /** A reply ref for one ask to `target`, with its deadline and cancellation armed. */
  open(target: Ref, options: AskOptions | undefined): AskRef {
    return new AskRef(
      this,
      target,
      options?.timeout ?? this.defaultTimeoutMs,
      options?.signal ?? currentSignal(),
    )
  }

  add(ask: AskRef): void {
    let bucket = this.buckets.get(ask.timeoutMs)
    if (bucket === undefined) {
      bucket = new Bucket()
      this.buckets.set(ask.timeoutMs, bucket)
    }
    bucket.queue.push(ask)
    if (bucket.timer === null) this.arm(bucket, ask.timeoutMs)
    else if (bucket.queue.length - bucket.head === 1) bucket.timer.ref()
  }

  settled(timeoutMs: number): void {
    const bucket = this.buckets.get(timeoutMs)
    if (bucket !== undefined) this.trim(bucket)
  }

  private trim(bucket: Bucket): void {
    const q = bucket.queue
    while (bucket.head < q.length && q[bucket.head]!.settled) bucket.head++
    if (bucket.head === q.length) {
      q.length = 0
      bucket.head = 0
      // An idle bucket keeps its timer armed but must not keep the process alive.
      bucket.timer?.unref()
    } else if (bucket.head > 1024 && bucket.head * 2 > q.length) {
      q.splice(0, bucket.head)
      bucket.head = 0
    }
  }

  private arm(bucket: Bucket, timeoutMs: number): void {
    const first = bucket.queue[bucket.head]!
    const delay = Math.min(MAX_TIMER_MS, Math.max(1, first.deadline - Date.now()))
    bucket.timer = setTimeout(() => this.fire(bucket, timeoutMs), delay)
  }

  private fire(bucket: Bucket, timeoutMs: number): void {
    bucket.timer = null
    const now = Date.now()
    const q = bucket.queue
    while (bucket.head < q.length) {
      const ask = q[bucket.head]!
      if (!ask.settled && ask.deadline > now) break
      bucket.head++
      ask.expire()
    }
    this.trim(bucket)
    if (bucket.head < q.length) this.arm(bucket, timeoutMs)
  }
}
