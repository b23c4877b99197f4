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

const FIRST_CHUNK_SLOTS = 8
const MAX_CHUNK_SLOTS = 2048

class Chunk {
  readonly slots: unknown[]
  next: Chunk | null = null

  constructor(size: number) {
    this.slots = new Array(size)
  }
}

/**
 * A FIFO of (message, sender) pairs stored side by side in a chain of arrays. Nothing is ever
 * copied as it grows (a burst of a million tells just links more chunks), and a mailbox that
 * drains goes back to reusing one chunk, so a few messages in flight allocate nothing.
 */
export class Mailbox {
  private headChunk: Chunk = new Chunk(FIRST_CHUNK_SLOTS)
  private tailChunk: Chunk = this.headChunk
  /** Slot of the first message in `headChunk`. */
  private head = 0
  /** First free slot in `tailChunk`. */
  private tail = 0
  /** Number of queued messages. */
  length = 0

  push(message: unknown, sender: unknown): void {
    let chunk = this.tailChunk
    let tail = this.tail
    if (tail === chunk.slots.length) {
      const next = new Chunk(Math.min(chunk.slots.length * 2, MAX_CHUNK_SLOTS))
      chunk.next = next
      this.tailChunk = chunk = next
      tail = 0
    }
    chunk.slots[tail] = message
    chunk.slots[tail + 1] = sender
    this.tail = tail + 2
    this.length++
  }

  /** Message at the head; call only when `length > 0`. */
  peekMessage(): unknown {
    return this.headChunk.slots[this.head]
  }

  /** Sender of the message at the head. */
  peekSender(): unknown {
    return this.headChunk.slots[this.head + 1]
  }

  /** Removes the head pair. */
  drop(): void {
    const chunk = this.headChunk
    const head = this.head
    chunk.slots[head] = undefined
    chunk.slots[head + 1] = undefined
    if (--this.length === 0) {
      // Empty: start again at the front of the last chunk.
      this.headChunk = this.tailChunk
      this.head = 0
      this.tail = 0
    } else if (head + 2 === chunk.slots.length) {
      this.headChunk = chunk.next!
      chunk.next = null
      this.head = 0
    } else {
      this.head = head + 2
    }
  }

  messageAt(index: number): unknown {
    const [chunk, slot] = this.locate(index)
    return chunk.slots[slot]
  }

  senderAt(index: number): unknown {
    const [chunk, slot] = this.locate(index)
    return chunk.slots[slot + 1]
  }

  /** Removes the pair at `index`, keeping the others in order (selective receive). */
  removeAt(index: number): void {
    // Shift the pairs in front of it one place back, then drop the (now duplicate) head.
    for (let k = index; k > 0; k--) {
      const [to, toSlot] = this.locate(k)
      const [from, fromSlot] = this.locate(k - 1)
      to.slots[toSlot] = from.slots[fromSlot]
      to.slots[toSlot + 1] = from.slots[fromSlot + 1]
    }
    this.drop()
  }

  private locate(index: number): [Chunk, number] {
    let chunk = this.headChunk
    let slot = this.head + index * 2
    while (slot >= chunk.slots.length) {
      slot -= chunk.slots.length
      chunk = chunk.next!
    }
    return [chunk, slot]
  }
}
