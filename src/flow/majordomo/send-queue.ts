/** The part of a zeromq socket a {@link SendQueue} uses. */
export interface SendingSocket {
  /**
   * Hands `frames` to the socket. A zeromq v6 socket that can take them at once does so before
   * returning (the promise is already settled); one that cannot returns a pending promise, and
   * until it settles every further call throws `EBUSY` synchronously.
   */
  send(frames: Buffer[]): Promise<void>
  readonly closed: boolean
}

/** Whether `error` is zeromq's synchronous refusal of a send while another one is pending. */
function isBusy(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EBUSY'
}

/**
 * Sends frame sets on one socket in order, without awaiting each one.
 *
 * A zeromq v6 socket takes one `send` at a time, but one that has room takes it synchronously:
 * so a frame set is written at once, in the caller's turn, and only when the socket refuses
 * (`EBUSY`: its previous send is waiting for room, or for the event loop's turn that zeromq gives
 * up every 512 synchronous operations) do frame sets queue, to be written in a burst when that
 * send settles. Awaiting every send, as the simple loop does, costs a turn of the microtask queue
 * and a promise per frame set, and writes nothing while a handler runs.
 */
export class SendQueue {
  /** Frame sets waiting for the socket, oldest first from `head`. */
  private waiting: Buffer[][] = []
  private head = 0
  /** The last send the socket accepted: the one a refusal waits for. */
  private last: Promise<void> = Promise.resolve()
  private blocked = false
  private idle: (() => void)[] = []
  private readonly report: (error: unknown) => void
  private readonly resume = (): void => this.drain()

  constructor(
    private readonly socket: SendingSocket,
    onError: (error: unknown) => void,
  ) {
    this.report = (error) => {
      if (!this.socket.closed) onError(error)
    }
  }

  /** Frame sets queued and not yet handed to the socket. */
  get pending(): number {
    return this.waiting.length - this.head
  }

  /** Sends `frames` now if the socket takes them, or queues them behind those waiting; returns at once. */
  send(frames: Buffer[]): void {
    if (this.blocked || !this.write(frames)) {
      this.waiting.push(frames)
      this.block()
    }
  }

  /** Resolves once everything sent so far is handed to the socket (or the socket is closed). */
  flushed(): Promise<void> {
    if (!this.blocked) return this.last.then(noop, noop)
    return new Promise((resolve) => this.idle.push(resolve))
  }

  /** Writes `frames`, or returns false if the socket is busy with a send it has not finished. */
  private write(frames: Buffer[]): boolean {
    // A closed socket takes nothing more; what is left is dropped, as its linger would.
    if (this.socket.closed) return true
    let sent: Promise<void>
    try {
      sent = this.socket.send(frames)
    } catch (error) {
      if (isBusy(error)) return false
      this.report(error)
      return true
    }
    this.last = sent
    sent.then(undefined, this.report)
    return true
  }

  private block(): void {
    if (this.blocked) return
    this.blocked = true
    this.last.then(this.resume, this.resume)
  }

  private drain(): void {
    this.blocked = false
    while (this.head < this.waiting.length) {
      if (!this.write(this.waiting[this.head]!)) {
        this.block()
        return
      }
      this.waiting[this.head++] = EMPTY
    }
    this.waiting = []
    this.head = 0
    if (this.idle.length > 0) {
      const idle = this.idle
      this.idle = []
      void this.last.then(noop, noop).then(() => {
        for (const resolve of idle) resolve()
      })
    }
  }
}

const EMPTY: Buffer[] = []
const noop = (): void => {}
