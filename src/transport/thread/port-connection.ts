import type { MessagePort } from 'node:worker_threads'
import { ProtocolError } from '../../wire/errors.ts'
import { asError, ConnectionLostError } from '../errors.ts'
import { FramedConnection, type FramedConnectionOptions } from '../framed-connection.ts'
import type { PeerInfo } from '../transport.ts'
import { FrameBatcher, splitBatch } from './frame-batch.ts'
import { isThreadControl, type ThreadControl } from './thread-messages.ts'

/** What a {@link PortConnection} needs besides its port: its peer is known from the start. */
export interface PortConnectionOptions extends FramedConnectionOptions {
  readonly peer: PeerInfo
  /**
   * Why the port closed without the peer saying `close` (its thread ended); the parent waits for
   * the worker's exit to say how. @default a {@link ConnectionLostError}
   */
  readonly lost?: () => Promise<Error>
}

/**
 * A {@link Connection} over a `MessagePort` between a parent and a worker thread, the same on both
 * sides. Frames go in batches (see {@link FrameBatcher}); a clean close flushes, sends `close` and
 * closes the port. A port has no backpressure: `writableNeedDrain` is always false, and a fast
 * sender to a slow thread grows that thread's queue in memory.
 *
 * @internal made by `spawnThread` and `connectParent`.
 */
export class PortConnection extends FramedConnection {
  protected readonly outbox: FrameBatcher
  private readonly lost: (() => Promise<Error>) | undefined

  constructor(
    private readonly port: MessagePort,
    options: PortConnectionOptions,
  ) {
    super(options, 'open')
    this.lost = options.lost
    this.outbox = new FrameBatcher((batch, buffer) => port.postMessage(batch, [buffer]))
    port.on('message', (message: unknown) => this.onMessage(message))
    port.on('close', () => this.onPortClose())
  }

  protected cut(error: Error): void {
    this.inbox.clear()
    this.postControl({ type: 'close', reason: error.message })
    this.port.close()
  }

  protected endCleanly(): void {
    this.inbox.clear()
    // The peer closes the port once it has read everything up to this `close`: closing it here
    // at once could lose the frames still in flight.
    this.postControl({ type: 'close' })
    this.linger(() => this.port.close())
  }

  protected override describePeer(): string {
    return this.remoteAddress
  }

  /** Closes because the thread ended (the parent saw the worker exit before the port closed). */
  lose(error: Error): void {
    this.close(error)
  }

  private postControl(message: ThreadControl): void {
    this.port.postMessage(message)
  }

  private onMessage(message: unknown): void {
    if (this.phase === 'closing' && isThreadControl(message) && message.type === 'close') {
      this.port.close()
      return
    }
    if (this.phase !== 'open') return
    if (message instanceof Uint8Array) {
      let bodies: Buffer[]
      try {
        bodies = splitBatch(message, this.maxFrameBytes)
      } catch (thrown) {
        this.abort(asError(thrown))
        return
      }
      this.deliver(bodies)
    } else if (isThreadControl(message) && message.type === 'close') {
      if (message.reason === undefined) this.peerEndedCleanly()
      this.phase = 'closing'
      this.outbox.discard()
      this.inbox.clear()
      if (message.reason !== undefined)
        this.closeError = new ConnectionLostError(this.remoteAddress, {
          cause: new Error(`the peer closed the connection: ${message.reason}`),
        })
      this.log.debug(
        { remote: this.remoteAddress, reason: message.reason },
        `${this.remoteAddress} closed the connection`,
      )
      this.port.close()
    } else {
      this.abort(new ProtocolError(`unexpected message on the thread port: ${describe(message)}`))
    }
  }

  private onPortClose(): void {
    if (this.phase === 'closed') return
    const unexpected = this.phase === 'open'
    this.phase = 'closing'
    this.outbox.discard()
    this.inbox.clear()
    if (!unexpected || this.lost === undefined) {
      if (unexpected)
        this.closeError = new ConnectionLostError(this.remoteAddress, { cause: new Error('the port closed') })
      this.finish()
      return
    }
    void this.lost().then((error) => {
      this.closeError ??= error
      this.finish()
    })
  }
}

function describe(message: unknown): string {
  if (message === null || typeof message !== 'object') return typeof message
  const type = (message as { type?: unknown }).type
  return typeof type === 'string' ? `type ${JSON.stringify(type)}` : (message.constructor?.name ?? 'object')
}
