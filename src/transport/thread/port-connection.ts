import type { MessagePort } from 'node:worker_threads'
import type { Logger } from 'pino'
import { ProtocolError } from '../../wire/errors.ts'
import { asError, ConnectionLostError } from '../errors.ts'
import { FrameInbox } from '../frame-inbox.ts'
import type { Connection, FrameHandler, PeerInfo } from '../transport.ts'
import { FrameBatcher, splitBatch } from './frame-batch.ts'
import { isThreadControl, type ThreadControl } from './thread-messages.ts'

type Phase = 'open' | 'closing' | 'closed'

/** What a {@link PortConnection} needs besides its port. */
export interface PortConnectionOptions {
  readonly local: PeerInfo
  readonly peer: PeerInfo
  /** Names the peer in errors and logs: `thread worker@app (id 3)`. */
  readonly remoteAddress: string
  readonly maxFrameBytes: number
  /** After a clean `close()`, how long to wait for the peer to close the port before closing it here. */
  readonly closeTimeoutMs: number
  readonly logger: Logger
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
export class PortConnection implements Connection {
  readonly local: PeerInfo
  readonly peer: PeerInfo
  readonly remoteAddress: string
  readonly writableNeedDrain = false
  private phase: Phase = 'open'
  private readonly inbox = new FrameInbox(
    () => this.phase === 'open',
    (error) => this.abort(error, 'the frame handler threw: '),
  )
  private closeError: Error | undefined
  private readonly batcher: FrameBatcher
  private readonly log: Logger
  readonly maxFrameBytes: number
  private readonly closeTimeoutMs: number
  private linger: NodeJS.Timeout | undefined
  private readonly lost: (() => Promise<Error>) | undefined
  private readonly whenClosed: Promise<Error | undefined>
  private resolveClosed!: (error: Error | undefined) => void

  constructor(
    private readonly port: MessagePort,
    options: PortConnectionOptions,
  ) {
    this.local = options.local
    this.peer = options.peer
    this.remoteAddress = options.remoteAddress
    this.maxFrameBytes = options.maxFrameBytes
    this.closeTimeoutMs = options.closeTimeoutMs
    this.log = options.logger
    this.lost = options.lost
    this.whenClosed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    this.batcher = new FrameBatcher((batch, buffer) => port.postMessage(batch, [buffer]))
    port.on('message', (message: unknown) => this.onMessage(message))
    port.on('close', () => this.onPortClose())
  }

  send(body: Uint8Array): void {
    if (this.phase === 'open') this.batcher.write(body)
  }

  onFrame(handler: FrameHandler): void {
    this.inbox.setHandler(handler)
  }

  drained(): Promise<void> {
    return Promise.resolve()
  }

  close(error?: Error): void {
    if (this.phase !== 'open') return
    this.phase = 'closing'
    this.inbox.clear()
    if (error === undefined) {
      // The peer closes the port once it has read everything up to this `close`: closing it here
      // at once could lose the frames still in flight.
      this.batcher.flush()
      this.postControl({ type: 'close' })
      this.linger = setTimeout(() => this.port.close(), this.closeTimeoutMs)
      this.linger.unref()
      return
    }
    this.closeError = error
    this.batcher.discard()
    this.postControl({ type: 'close', reason: error.message })
    this.port.close()
  }

  closed(): Promise<Error | undefined> {
    return this.whenClosed
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
    await this.whenClosed
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
      for (const body of bodies) {
        if (this.phase !== 'open') return
        this.inbox.receive(body)
      }
    } else if (isThreadControl(message) && message.type === 'close') {
      this.phase = 'closing'
      this.batcher.discard()
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

  private abort(error: Error, prefix = ''): void {
    if (this.phase !== 'open') return
    this.log.warn(
      { err: error, remote: this.remoteAddress },
      `closing connection to ${this.remoteAddress}: ${prefix}${error.message}`,
    )
    this.close(error)
  }

  private onPortClose(): void {
    if (this.phase === 'closed') return
    const unexpected = this.phase === 'open'
    this.phase = 'closing'
    this.batcher.discard()
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

  private finish(): void {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    clearTimeout(this.linger)
    this.resolveClosed(this.closeError)
  }
}

function describe(message: unknown): string {
  if (message === null || typeof message !== 'object') return typeof message
  const type = (message as { type?: unknown }).type
  return typeof type === 'string' ? `type ${JSON.stringify(type)}` : (message.constructor?.name ?? 'object')
}
