import { encodedSizeBound } from '../../wire/encoded-size.ts'

/**
 * Room a batch's envelope takes in its frame beside the items (`kind`, `id`, the array's header:
 * under 60 bytes), with a margin.
 */
export const ENVELOPE_RESERVE_BYTES = 256

/** The bytes of items one frame of a connection with this limit may carry. */
export function itemBudget(maxFrameBytes: number): number {
  return Math.max(Math.floor(maxFrameBytes / 2), maxFrameBytes - ENVELOPE_RESERVE_BYTES)
}

/** How an {@link ItemBatcher} weighs an item: an upper bound of its encoded bytes, or over `limit`. */
export type Weigh = (value: unknown, limit: number) => number

/**
 * The items of one direction of a stream or context, gathered for one turn of the event loop and
 * sent together: one envelope per item cost ten times as much. A batch never outgrows its frame:
 * each item is weighed (an upper bound of its encoded size, see `encodedSizeBound`), and the batch
 * is sent as soon as the next item would take it over `budget()` bytes (64 items of 16 KiB in one
 * turn made a frame over the 1 MiB limit). An item that alone weighs more than the budget goes out
 * at once, by itself, after those before it: the connection refuses it if it is truly too large,
 * which fails its own stream and nothing else.
 *
 * @example
 * ```ts
 * const items = new ItemBatcher((values) => peer.send({ kind: 'items', id, by: 'callee', values }), () => budget)
 * items.push(value) // sent at the end of the turn, or sooner once a frame's worth has gathered
 * items.flush()     // before the end of the stream
 * ```
 */
export class ItemBatcher {
  private values: unknown[] = []
  private bytes = 0
  private scheduled = false

  constructor(
    private readonly send: (values: unknown[]) => void,
    /** The bytes of items a frame may carry now (the connection may change). */
    private readonly budget: () => number,
    private readonly weigh: Weigh = encodedSizeBound,
    private readonly schedule: (callback: () => void) => void = setImmediate,
  ) {}

  /** Items gathered and not yet sent. */
  get pending(): number {
    return this.values.length
  }

  push(value: unknown): void {
    const budget = this.budget()
    const size = this.sizeOf(value, budget)
    if (this.values.length > 0 && this.bytes + size > budget) this.flush()
    this.values.push(value)
    this.bytes += size
    if (size > budget) {
      this.flush()
      return
    }
    if (!this.scheduled) {
      this.scheduled = true
      this.schedule(this.endOfTurn)
    }
  }

  /** Sends what has gathered, now. */
  flush(): void {
    if (this.values.length === 0) return
    const values = this.values
    this.values = []
    this.bytes = 0
    this.send(values)
  }

  private readonly endOfTurn = (): void => {
    this.scheduled = false
    this.flush()
  }

  private sizeOf(value: unknown, budget: number): number {
    try {
      return this.weigh(value, budget)
    } catch {
      // A getter or toJSON that throws: sent alone, the encoder reports it for this item only.
      return Number.POSITIVE_INFINITY
    }
  }
}
