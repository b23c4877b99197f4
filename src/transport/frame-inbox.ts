import { asError } from './errors.ts'
import type { FrameHandler } from './transport.ts'

/**
 * The incoming side of a connection: hands frame bodies to the connection's handler in order, and
 * holds them while there is no handler yet (or earlier ones still wait). Every transport's
 * connection keeps one, so `onFrame` means the same everywhere.
 */
export class FrameInbox {
  private handler: FrameHandler | undefined
  private held: Buffer[] = []

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
    if (this.held.length > 0) queueMicrotask(() => this.deliverHeld())
  }

  /** Delivers a body now, or holds it while there is no handler or earlier bodies wait. */
  receive(body: Buffer): void {
    if (this.handler === undefined || this.held.length > 0) {
      this.held.push(body)
      if (this.held.length === 1) this.holding(true)
    } else {
      this.deliver(this.handler, body)
    }
  }

  /** Drops what is held: the connection is closing. */
  clear(): void {
    this.held = []
  }

  private deliverHeld(): void {
    const held = this.held
    this.held = []
    for (const body of held) {
      if (!this.isOpen() || this.handler === undefined) return
      this.deliver(this.handler, body)
    }
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
