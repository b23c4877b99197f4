/** What a bounded mailbox does with a message that finds it full. */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'fail' | 'backpressure'

/** Mailbox settings of one actor. */
export interface MailboxOptions {
  /**
   * Most messages the mailbox holds; `Infinity` for unbounded.
   * @default Infinity
   */
  capacity?: number
  /**
   * What happens to a message that finds a bounded mailbox full: `drop-newest` drops it,
   * `drop-oldest` drops the oldest queued message to make room, `fail` refuses it (an `ask` or
   * `send` rejects with `MailboxFullError`), `backpressure` refuses a `tell` but makes
   * `send` and `ask` wait for room. Refused and dropped messages go to dead letters with
   * reason `mailbox-full`.
   * @default 'fail'
   */
  overflow?: OverflowPolicy
  /**
   * An unbounded mailbox that grows past this many messages emits a `mailbox-high-water`
   * inspection event and logs a warning; it re-arms once the mailbox drains below half.
   * @default 10000
   */
  highWater?: number
}

const INITIAL_SLOTS = 8

/**
 * A FIFO of (message, sender) pairs in one growable ring buffer, so that enqueueing allocates
 * nothing per message. Slots hold a message and its sender side by side.
 */
export class Mailbox {
  private slots: unknown[] = new Array(INITIAL_SLOTS)
  private head = 0
  /** Number of queued messages. */
  length = 0

  push(message: unknown, sender: unknown): void {
    let slots = this.slots
    if (this.length * 2 === slots.length) slots = this.grow()
    const i = (this.head + this.length * 2) & (slots.length - 1)
    slots[i] = message
    slots[i + 1] = sender
    this.length++
  }

  /** Message at the head; call only when `length > 0`. */
  peekMessage(): unknown {
    return this.slots[this.head]
  }

  /** Sender of the message at the head. */
  peekSender(): unknown {
    return this.slots[this.head + 1]
  }

  /** Removes the head pair. */
  drop(): void {
    const slots = this.slots
    slots[this.head] = undefined
    slots[this.head + 1] = undefined
    this.head = (this.head + 2) & (slots.length - 1)
    this.length--
  }

  messageAt(index: number): unknown {
    return this.slots[(this.head + index * 2) & (this.slots.length - 1)]
  }

  senderAt(index: number): unknown {
    return this.slots[(this.head + index * 2 + 1) & (this.slots.length - 1)]
  }

  /** Removes the pair at `index`, keeping the others in order (selective receive). */
  removeAt(index: number): void {
    const slots = this.slots
    const mask = slots.length - 1
    for (let k = index; k > 0; k--) {
      const to = (this.head + k * 2) & mask
      const from = (this.head + (k - 1) * 2) & mask
      slots[to] = slots[from]
      slots[to + 1] = slots[from + 1]
    }
    this.drop()
  }

  private grow(): unknown[] {
    const old = this.slots
    const next = new Array(old.length * 2)
    const mask = old.length - 1
    for (let k = 0; k < this.length * 2; k++) next[k] = old[(this.head + k) & mask]
    this.slots = next
    this.head = 0
    return next
  }
}
