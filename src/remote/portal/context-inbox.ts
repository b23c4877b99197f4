import { ContextMisuseError } from '../node/errors.ts'
import { ItemQueue } from './item-queue.ts'

type Waiter = {
  resolve: (result: IteratorResult<unknown, undefined>) => void
  reject: (error: unknown) => void
}

export function doneResult(): IteratorResult<never, undefined> {
  return { value: undefined, done: true }
}

/**
 * What one end of a context has received and not yet read: at most a window, since the other end
 * sends only with credit, granted back every half window read. Read by one loop at a time; a loop
 * that leaves early leaves the rest for the next one.
 */
export class ContextInbox {
  private readonly queue = new ItemQueue<unknown>()
  private ended = false
  private failure: { error: unknown } | undefined
  private waiter: Waiter | undefined
  private ungranted = 0
  private readonly refill: number

  constructor(
    window: number,
    private readonly grant: (n: number) => void,
    /** Whether the error is thrown once, after which reading is done (as a generator's would be). */
    private readonly throwsOnce = false,
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

  /** Reading throws `error`, after what came when `keep`, at once otherwise; `undefined` ends it. */
  fail(error: unknown, keep: boolean): void {
    if (this.failure !== undefined) return
    if (!keep) this.queue.clear()
    if (error === undefined) {
      this.end()
      return
    }
    this.failure = { error }
    this.flush()
  }

  next(): Promise<IteratorResult<unknown, undefined>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift()
      this.consumed()
      return Promise.resolve({ value, done: false })
    }
    if (this.failure !== undefined) return Promise.reject(this.thrown(this.failure))
    if (this.ended) return Promise.resolve(doneResult())
    if (this.waiter !== undefined)
      return Promise.reject(new ContextMisuseError('a context is read by one loop at a time'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  /** An iterator for one loop: leaving it early (`break`) calls `leave`, or else only ends the loop. */
  iterator<T>(leave?: () => void): AsyncIterableIterator<T> {
    const view: AsyncIterableIterator<T> = {
      next: () => this.next() as Promise<IteratorResult<T>>,
      return: () => {
        leave?.()
        return Promise.resolve(doneResult())
      },
      [Symbol.asyncIterator]: () => view,
    }
    return view
  }

  private thrown(failure: { error: unknown }): unknown {
    if (this.throwsOnce) {
      this.failure = undefined
      this.ended = true
    }
    return failure.error
  }

  private flush(): void {
    const waiter = this.waiter
    if (waiter === undefined) return
    this.waiter = undefined
    if (this.failure !== undefined) waiter.reject(this.thrown(this.failure))
    else waiter.resolve(doneResult())
  }

  private consumed(): void {
    if (++this.ungranted < this.refill || this.ended || this.failure !== undefined) return
    const n = this.ungranted
    this.ungranted = 0
    this.grant(n)
  }
}
