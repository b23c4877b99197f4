import { FrameTooLargeError } from '../../wire/errors.ts'
import { FramedConnection, type FramedConnectionOptions, type FrameOutbox } from '../framed-connection.ts'
import type { PeerInfo } from '../transport.ts'

/**
 * One end of a connection between two nodes of one process. A body sent is copied and arrives on
 * a later microtask, as bytes that crossed a socket would; a body over `maxFrameBytes` closes the
 * connection that carried it, as a socket's frame decoder does.
 *
 * @internal made by `InProcessNetwork`.
 */
export class InProcessConnection extends FramedConnection {
  other!: InProcessConnection
  /** Set while the network holds this connection's frames back, as a stopped process would. */
  frozen = false
  protected readonly outbox: FrameOutbox = {
    write: (body) => {
      const copy = Buffer.from(body)
      queueMicrotask(() => this.other.arrive(copy))
    },
    flush() {},
    discard() {},
  }

  constructor(options: FramedConnectionOptions & { readonly peer: PeerInfo }) {
    super(options, 'open')
  }

  get open(): boolean {
    return this.phase === 'open'
  }

  protected cut(): void {
    this.endCleanly()
  }

  protected endCleanly(): void {
    this.finish()
    queueMicrotask(() => this.other.close())
  }

  private arrive(body: Buffer): void {
    if (!this.reading || this.frozen || this.other.frozen) return
    if (body.length > this.maxFrameBytes) {
      this.close(new FrameTooLargeError(body.length, this.maxFrameBytes))
      return
    }
    this.deliver([body])
  }
}
