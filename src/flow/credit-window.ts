// Backpressure across threads, processes and nodes. A full inbox makes a sender in the same
// thread wait for room; a message to another process is queued at once, so a fast sender could
// fill the other side without bound. Towards (or from) a placed component a sender therefore
// holds a window of credits: each event is asked, not told, and its answer (sent once the event
// is handled) frees a credit. The answer goes to the asker, not to the sender's mailbox, so a
// sender waiting for credit inside its own handler cannot deadlock on it.

/** At most `size` events on their way to one inbox; `acquire` waits for a credit, first come first served. */
export class CreditWindow {
  private outstanding = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly size: number) {}

  /** Takes a credit if one is free and nobody waits for one; returns whether it did. */
  tryAcquire(): boolean {
    if (this.outstanding >= this.size || this.waiting.length > 0) return false
    this.outstanding++
    return true
  }

  /** Resolves once this sender may send one more event. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve()
    return new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  /** An event was handled (or will never be): its credit is free again, or goes to the first waiting. */
  release(): void {
    const next = this.waiting.shift()
    if (next === undefined) this.outstanding--
    else next()
  }
}

/** The longest a timer can wait (setTimeout takes a signed 32-bit delay). */
const LONGEST_TIMER_MS = 2 ** 31 - 1

/**
 * How long a windowed event's answer may take: every event queued before it may take the
 * component's whole timeout, and a grace for the way there and back.
 */
export function answerWithinMs(timeoutMs: number, window: number): number {
  return Math.min(LONGEST_TIMER_MS, timeoutMs * (window + 1) + 5_000)
}
