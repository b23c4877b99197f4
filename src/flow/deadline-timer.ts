// Deadlines of one length, serviced by one timer. A component's events and Http's requests each
// have one timeout; a setTimeout and clearTimeout per event cost more than the event's work, and
// deadlines of one length expire in the order they were set, so a queue with one timer armed for
// its head serves them all.

/** A deadline set with {@link DeadlineTimer.start}. */
export interface Deadline {
  /**
   * Cancels the deadline; returns whether it was still pending (false: it expired, or was
   * cancelled before).
   */
  cancel(): boolean
}

class Entry implements Deadline {
  constructor(
    private readonly timer: DeadlineTimer,
    readonly at: number,
    public expire: (() => void) | undefined,
  ) {}

  cancel(): boolean {
    if (this.expire === undefined) return false
    this.expire = undefined
    this.timer.prune()
    return true
  }
}

/** Runs callbacks `delayMs` after each was set, unless cancelled, with one timer for them all. */
export class DeadlineTimer {
  private queue: Entry[] = []
  /** Index of the queue's head: entries before it are gone. */
  private head = 0
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly delayMs: number) {}

  /** Calls `expire` once `delayMs` have passed, unless the deadline is cancelled first. */
  start(expire: () => void): Deadline {
    const entry = new Entry(this, performance.now() + this.delayMs, expire)
    this.queue.push(entry)
    if (this.timer === undefined) this.arm(this.delayMs)
    return entry
  }

  /** Deadlines pending (or cancelled and not yet dropped from inside the queue). */
  get size(): number {
    return this.queue.length - this.head
  }

  /** @internal Drops cancelled entries at the head; with none left, the timer stops. */
  prune(): void {
    const queue = this.queue
    while (this.head < queue.length && queue[this.head]!.expire === undefined) this.head++
    if (this.head === queue.length) {
      this.queue = []
      this.head = 0
      clearTimeout(this.timer)
      this.timer = undefined
    } else if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head)
      this.head = 0
    }
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(delayMs)))
  }

  private readonly fire = (): void => {
    this.timer = undefined
    const now = performance.now()
    // Read afresh each time: an expiry may set or cancel deadlines, which can replace the queue.
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now) {
      const entry = this.queue[this.head++]!
      const expire = entry.expire
      entry.expire = undefined
      try {
        expire?.()
      } catch (error) {
        // As a throw from a timer of its own would: uncaught, and the other deadlines still run.
        process.nextTick(() => {
          throw error
        })
      }
    }
    // A deadline set by an expiry armed the timer for its own time, later than the head's.
    clearTimeout(this.timer)
    this.timer = undefined
    this.prune()
    if (this.head < this.queue.length) this.arm(this.queue[this.head]!.at - performance.now())
  }
}
