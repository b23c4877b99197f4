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

const FIRST_CHUNK_SLOTS = 2
const MAX_CHUNK_SLOTS = 2048

/** A chunk is an array of `size` slots plus one more, at index `size`, that links the next chunk. */
type Chunk = unknown[]

function newChunk(size: number): Chunk {
  return new Array(size + 1)
}

/**
 * A FIFO of (message, sender) pairs stored side by side in a chain of arrays. Nothing is ever
 * copied as it grows (a burst of a million tells just links more chunks), and a mailbox that
 * drains goes back to reusing one chunk, so a few messages in flight allocate nothing.
 */
export class Mailbox {
  private headChunk: Chunk = newChunk(FIRST_CHUNK_SLOTS)
  private tailChunk: Chunk = this.headChunk
  /** Slot of the first message in `headChunk`. */
  private head = 0
  /** First free slot in `tailChunk`. */
  private tail = 0
  /** Number of queued messages. */
  length = 0
  /** Messages and signals taken out to be handled so far (what the dashboard's msgs/s samples). */
  taken = 0
  /** The message taken last, which its actor is handling, and its sender (`ctx.sender`). */
  current: unknown = undefined
  sender: unknown = undefined

  push(message: unknown, sender: unknown): void {
    let chunk = this.tailChunk
    let tail = this.tail
    const size = chunk.length - 1
    if (tail === size) {
      const next = newChunk(Math.min(size * 2, MAX_CHUNK_SLOTS))
      chunk[size] = next
      this.tailChunk = chunk = next
      tail = 0
    }
    chunk[tail] = message
    chunk[tail + 1] = sender
    this.tail = tail + 2
    this.length++
  }

  /** Message at the head; call only when `length > 0`. */
  peekMessage(): unknown {
    return this.headChunk[this.head]
  }

  /** Sender of the message at the head. */
  peekSender(): unknown {
    return this.headChunk[this.head + 1]
  }

  /** Takes the head pair, which becomes `current` and `sender`; call only when `length > 0`. */
  take(): unknown {
    const chunk = this.headChunk
    const message = chunk[this.head]
    this.current = message
    this.sender = chunk[this.head + 1]
    this.taken++
    this.drop()
    return message
  }

  /** Removes the head pair. */
  drop(): void {
    const chunk = this.headChunk
    const head = this.head
    chunk[head] = undefined
    chunk[head + 1] = undefined
    if (--this.length === 0) {
      // Empty: start again at the front of the last chunk.
      this.headChunk = this.tailChunk
      this.head = 0
      this.tail = 0
    } else if (head + 3 === chunk.length) {
      this.headChunk = chunk[head + 2] as Chunk
      chunk[head + 2] = undefined
      this.head = 0
    } else {
      this.head = head + 2
    }
  }

  messageAt(index: number): unknown {
    const chunk = this.locate(index)
    return chunk[this.slot]
  }

  senderAt(index: number): unknown {
    const chunk = this.locate(index)
    return chunk[this.slot + 1]
  }

  /** Removes the pair at `index`, keeping the others in order (selective receive). */
  removeAt(index: number): void {
    // Shift the pairs in front of it one place back, then drop the (now duplicate) head.
    for (let k = index; k > 0; k--) {
      const to = this.locate(k)
      const toSlot = this.slot
      const from = this.locate(k - 1)
      to[toSlot] = from[this.slot]
      to[toSlot + 1] = from[this.slot + 1]
    }
    this.drop()
  }

  /** Set by `locate`: the slot of the located pair in the returned chunk. */
  private slot = 0

  private locate(index: number): Chunk {
    let chunk = this.headChunk
    let slot = this.head + index * 2
    while (slot >= chunk.length - 1) {
      slot -= chunk.length - 1
      chunk = chunk[chunk.length - 1] as Chunk
    }
    this.slot = slot
    return chunk
  }
}
