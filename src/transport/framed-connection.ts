import type { Logger } from 'pino'
import { DrainSignal } from './drain-signal.ts'
import { FrameInbox } from './frame-inbox.ts'
import type { Connection, FrameHandler, PeerInfo } from './transport.ts'

/** Where a connection's outgoing frames gather before they leave: `FrameWriter` or `FrameBatcher`. */
export interface FrameOutbox {
  /** Queues a copy of one frame body. */
  write(body: Uint8Array): void
  /** Sends what is queued now. */
  flush(): void
  /** Drops what is queued: the connection was cut. */
  discard(): void
}

/** `handshake` only for a connection that proves its peer on its own bytes (a socket). */
export type ConnectionPhase = 'handshake' | 'open' | 'closing' | 'closed'

/** What every framed connection is made with. */
export interface FramedConnectionOptions {
  readonly local: PeerInfo
  /** The peer, when it is known before the connection opens (a parent and its child). */
  readonly peer?: PeerInfo
  /** Names the peer in logs and errors: `host:port`, `thread worker (id 3)`. */
  readonly remoteAddress: string
  readonly maxFrameBytes: number
  /** After a clean `close()`, how long to wait for the peer to close its side before cutting the connection. */
  readonly closeTimeoutMs: number
  readonly logger: Logger
}

/**
 * What the connections of every transport share: the peer's identity, the phases from open to
 * closed, the inbox that hands bodies to the frame handler in order, the outbox that batches
 * sends, the drain signal, the linger after a clean close, and `closed()`, which resolves with the
 * error that closed the connection and never rejects. A subclass says how bytes leave
 * ({@link FramedConnection.outbox}), how a cut and a clean end look on its channel
 * ({@link FramedConnection.cut}, {@link FramedConnection.endCleanly}), and feeds what it reads to
 * {@link FramedConnection.deliver}.
 */
export abstract class FramedConnection implements Connection {
  readonly local: PeerInfo
  readonly remoteAddress: string
  readonly maxFrameBytes: number
  protected phase: ConnectionPhase
  /** The error {@link FramedConnection.closed} resolves with. */
  protected closeError: Error | undefined
  protected readonly log: Logger
  protected readonly closeTimeoutMs: number
  /** The one timer of the connection: the handshake's deadline, then the linger of a clean close. */
  protected timer: NodeJS.Timeout | undefined
  protected readonly drain = new DrainSignal()
  protected readonly inbox = new FrameInbox(
    () => this.reading,
    (error) => this.abort(error, 'the frame handler threw: '),
    (held) => this.holdReading(held),
  )
  protected abstract readonly outbox: FrameOutbox
  private peerInfo: PeerInfo | undefined
  private readonly whenClosed: Promise<Error | undefined>
  private resolveClosed!: (error: Error | undefined) => void

  constructor(options: FramedConnectionOptions, phase: 'handshake' | 'open') {
    this.local = options.local
    this.peerInfo = options.peer
    this.remoteAddress = options.remoteAddress
    this.maxFrameBytes = options.maxFrameBytes
    this.closeTimeoutMs = options.closeTimeoutMs
    this.log = options.logger
    this.phase = phase
    this.whenClosed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
  }

  get peer(): PeerInfo {
    if (this.peerInfo === undefined) throw new Error('the handshake has not completed')
    return this.peerInfo
  }

  /** The peer has proved who it is. */
  protected knowPeer(peer: PeerInfo): void {
    this.peerInfo = peer
  }

  /** The peer's node name, once known, for log fields. */
  protected get peerNode(): string | undefined {
    return this.peerInfo?.node
  }

  /** The peer as log lines name it: `127.0.0.1:54321 (node b)`. */
  protected describePeer(): string {
    return this.peerInfo === undefined
      ? this.remoteAddress
      : `${this.remoteAddress} (node ${this.peerInfo.node})`
  }

  /** Frames may still be handed to the handler. */
  protected get reading(): boolean {
    return this.phase === 'open'
  }

  /** Frames are held for want of a handler: a channel that can pause reading does. */
  protected holdReading(_held: boolean): void {}

  get writableNeedDrain(): boolean {
    return false
  }

  send(body: Uint8Array): void {
    if (this.phase === 'open') this.outbox.write(body)
  }

  onFrame(handler: FrameHandler): void {
    this.inbox.setHandler(handler)
  }

  drained(): Promise<void> {
    return this.writableNeedDrain ? this.drain.wait() : Promise.resolve()
  }

  close(error?: Error): void {
    if (this.phase !== 'open') return
    this.phase = 'closing'
    if (error !== undefined) {
      this.closeError = error
      this.outbox.discard()
      this.cut(error)
      return
    }
    this.outbox.flush()
    this.endCleanly()
  }

  /** Cuts the channel at once, after a `close(error)`; queued frames are already dropped. */
  protected abstract cut(error: Error): void

  /** Ends the channel after the frames already sent, after a clean `close()`; they are flushed. */
  protected abstract endCleanly(): void

  closed(): Promise<Error | undefined> {
    return this.whenClosed
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
    await this.whenClosed
  }

  /** Hands the bodies read to the handler, in order, while the connection still reads. */
  protected deliver(bodies: readonly Buffer[]): void {
    for (const body of bodies) {
      if (!this.reading) return
      this.inbox.receive(body)
    }
  }

  /**
   * The peer ended the connection cleanly: what it sent before its end is handed to the handler
   * first, even the bodies the inbox held back for a later turn.
   */
  protected peerEndedCleanly(): void {
    if (this.reading) this.inbox.flush()
  }

  /** Cuts the connection because of `error`, logging why. */
  protected abort(error: Error, prefix = ''): void {
    if (this.phase !== 'open') return
    this.log.warn(
      { err: error, remote: this.remoteAddress, peer: this.peerNode },
      `closing connection ${this.direction} ${this.describePeer()}: ${prefix}${error.message}`,
    )
    this.close(error)
  }

  /** `from` a peer that connected to this node, `to` one this node reached. */
  protected get direction(): 'from' | 'to' {
    return 'to'
  }

  /** Runs `then` after the close timeout, unless the connection finishes first. */
  protected linger(then: () => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(then, this.closeTimeoutMs)
    this.timer.unref()
  }

  /** The connection is closed: `closed()` resolves with the error that closed it, if any. */
  protected finish(): void {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    clearTimeout(this.timer)
    this.timer = undefined
    this.outbox.discard()
    this.inbox.clear()
    this.drain.release()
    this.resolveClosed(this.closeError)
  }
}
