import { asError } from './errors.ts'
import type { FrameHandler } from './transport.ts'

/**
 * Most milliseconds of handling frames in one turn of the event loop before the inbox lets the
 * loop go round: a peer's burst (a socket yields up to a few MiB per turn) must not starve the
 * timers, heartbeats among them, or the other connections.
 */
export const FRAME_SLICE_MS = 20

/**
 * The incoming side of a connection: hands frame bodies to the connection's handler in order, and
 * holds them while there is no handler yet, while earlier ones still wait, or once this turn's
 * slice of handling time ({@link FRAME_SLICE_MS}) is spent; held bodies go on after the event loop
 * has had its turn. Every transport's connection keeps one, so `onFrame` means the same everywhere.
 */
export class FrameInbox {
  private handler: FrameHandler | undefined
  private held: (Buffer | undefined)[] = []
  /** The first body of `held` still to deliver. */
  private heldHead = 0
  /** When this turn's slice ends (`performance.now()`), or 0 when no slice runs. */
  private sliceEnds = 0
  private readonly endSlice = (): void => {
    this.sliceEnds = 0
    if (this.heldCount > 0) this.deliverHeld()
  }

  constructor(
    /** Whether frames may still be delivered. */
    private readonly isOpen: () => boolean,
    /** The handler threw: the connection closes with that error. */
    private readonly handlerFailed: (error: Error) => void,
    /** Told when frames start and stop being held, for transports that can pause reading. */
    private readonly holding: (held: boolean) => void = () => {},
  ) {}

  /** Sets (or replaces) the handler; held frames follow on a microtask. */
  setHandler(handler: FrameHandler): void {
    this.handler = handler
    if (this.heldCount > 0) queueMicrotask(() => this.deliverHeld())
  }

  /** Delivers a body now, or holds it while there is no handler, earlier bodies wait or the slice is spent. */
  receive(body: Buffer): void {
    if (this.handler === undefined || this.heldCount > 0 || this.sliceSpent()) {
      this.held.push(body)
      if (this.heldCount === 1) this.holding(true)
    } else {
      this.deliver(this.handler, body)
    }
  }

  /**
   * Delivers every held body now, however long it takes: the peer has ended cleanly after sending
   * them, and its end must not overtake them. Held bodies wait only while there is no handler.
   */
  flush(): void {
    const handler = this.handler
    if (handler === undefined) return
    while (this.heldCount > 0) {
      const body = this.held[this.heldHead]!
      this.held[this.heldHead++] = undefined
      this.deliver(handler, body)
    }
    this.clear()
  }

  /** Drops what is held: the connection is closing. */
  clear(): void {
    this.held = []
    this.heldHead = 0
  }

  private get heldCount(): number {
    return this.held.length - this.heldHead
  }

  /** Whether this turn's slice is spent; the first call of a turn starts one. */
  private sliceSpent(): boolean {
    const now = performance.now()
    if (this.sliceEnds === 0) {
      this.sliceEnds = now + FRAME_SLICE_MS
      setImmediate(this.endSlice)
      return false
    }
    return now > this.sliceEnds
  }

  private deliverHeld(): void {
    while (this.heldCount > 0) {
      if (!this.isOpen() || this.handler === undefined) return
      // Spent: the slice's end goes on with the rest, after the loop's turn.
      if (this.sliceSpent()) return
      const body = this.held[this.heldHead]!
      this.held[this.heldHead++] = undefined
      this.deliver(this.handler, body)
    }
    this.clear()
    if (this.isOpen()) this.holding(false)
  }

  private deliver(handler: FrameHandler, body: Buffer): void {
    try {
      handler(body)
    } catch (thrown) {
      this.handlerFailed(asError(thrown))
    }
  }
}
