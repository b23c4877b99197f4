import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { ProtocolError } from '../../wire/errors.ts'
import { encodeFrame, FrameDecoder } from '../../wire/frames.ts'
import { DrainSignal } from '../drain-signal.ts'
import { asError, ConnectionLostError, describeSystemError, HandshakeError } from '../errors.ts'
import { FrameInbox } from '../frame-inbox.ts'
import { FrameWriter } from '../frame-writer.ts'
import { HANDSHAKE_MAX_FRAME_BYTES, Handshake, type HandshakeRole } from '../handshake.ts'
import type { ResolvedTransportOptions } from '../options.ts'
import type { Connection, FrameHandler, PeerInfo } from '../transport.ts'
import { HandshakeReader } from './handshake-reader.ts'
import { tlsFailure } from './tls-failure.ts'

type Phase = 'handshake' | 'open' | 'closing' | 'closed'

/**
 * A {@link Connection} over a stream socket (TCP, TLS or a Unix domain socket). It runs the
 * handshake first ({@link SocketConnection.open}); until that completes, bytes from the peer are
 * read only as handshake frames of at most {@link HANDSHAKE_MAX_FRAME_BYTES}, and nothing else is
 * acted on.
 *
 * @internal made by `listenTcp` and `connectTcp`.
 */
export class SocketConnection implements Connection {
  readonly local: PeerInfo
  private peerInfo: PeerInfo | undefined
  private phase: Phase = 'handshake'
  private readonly handshake: Handshake
  private readonly reader = new HandshakeReader(HANDSHAKE_MAX_FRAME_BYTES)
  private decoder: FrameDecoder | undefined
  private readonly writer: FrameWriter
  private readonly inbox = new FrameInbox(
    () => this.phase === 'open',
    (error) => this.abort(error, 'the frame handler threw: '),
    (held) => (held ? this.socket.pause() : this.socket.resume()),
  )
  private timer: NodeJS.Timeout | undefined
  private closeError: Error | undefined
  private readonly log: Logger
  private readonly whenClosed: Promise<Error | undefined>
  private resolveClosed!: (error: Error | undefined) => void
  private readonly drain = new DrainSignal()
  private opened:
    | { resolve: (connection: SocketConnection) => void; reject: (error: Error) => void }
    | undefined

  constructor(
    private readonly socket: Socket,
    private readonly role: HandshakeRole,
    private readonly options: ResolvedTransportOptions,
    readonly remoteAddress: string,
  ) {
    this.local = { node: options.node, incarnation: options.incarnation }
    this.log = options.logger
    this.handshake = new Handshake({
      role,
      node: options.node,
      incarnation: options.incarnation,
      cookie: options.cookie,
      remote: remoteAddress,
    })
    this.writer = new FrameWriter((chunk) => {
      socket.write(chunk)
    })
    this.whenClosed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => this.onEnd())
    socket.on('error', (error) => this.onError(error))
    socket.on('close', () => this.onClose())
    socket.on('drain', () => this.onDrain())
  }

  get maxFrameBytes(): number {
    return this.options.maxFrameBytes
  }

  /**
   * Runs the handshake; resolves with this connection once both sides have proved the cookie, or
   * rejects with a {@link HandshakeError} (logged) after closing the socket.
   *
   * @param timeoutMs time left for the handshake.
   */
  open(timeoutMs: number): Promise<SocketConnection> {
    return new Promise((resolve, reject) => {
      if (this.phase !== 'handshake') {
        reject(this.closeError ?? this.handshake.fail('closed', 'the connection closed'))
        return
      }
      this.opened = { resolve, reject }
      this.timer = setTimeout(() => {
        this.failHandshake(
          this.handshake.fail('timeout', `no handshake within ${this.options.handshakeTimeoutMs} ms`),
        )
      }, timeoutMs)
      this.sendHandshake(this.handshake.start())
    })
  }

  /** Ends a handshake in progress (the listener is closing, `connect` was aborted). */
  cancelHandshake(detail: string, cause?: unknown): void {
    if (this.phase === 'handshake') this.failHandshake(this.handshake.fail('closed', detail, cause), 'debug')
  }

  get peer(): PeerInfo {
    if (this.peerInfo === undefined) throw new Error('the handshake has not completed')
    return this.peerInfo
  }

  get writableNeedDrain(): boolean {
    return this.phase === 'open' && this.socket.writableNeedDrain
  }

  send(body: Uint8Array): void {
    if (this.phase === 'open') this.writer.write(body)
  }

  onFrame(handler: FrameHandler): void {
    this.inbox.setHandler(handler)
  }

  drained(): Promise<void> {
    return this.writableNeedDrain ? this.drain.wait() : Promise.resolve()
  }

  close(error?: Error): void {
    if (this.phase === 'handshake') {
      this.cancelHandshake('closed by this node', error)
      return
    }
    if (this.phase !== 'open') return
    this.phase = 'closing'
    if (error !== undefined) {
      this.closeError = error
      this.writer.discard()
      this.socket.destroy()
      return
    }
    this.writer.flush()
    this.socket.end()
    this.linger()
  }

  closed(): Promise<Error | undefined> {
    return this.whenClosed
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
    await this.whenClosed
  }

  /** Describes the peer for log lines: `127.0.0.1:54321 (node b)`. */
  private describePeer(): string {
    return this.peerInfo === undefined
      ? this.remoteAddress
      : `${this.remoteAddress} (node ${this.peerInfo.node})`
  }

  private sendHandshake(bodies: Buffer[]): void {
    for (const body of bodies) this.socket.write(encodeFrame(body))
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'handshake') this.readHandshake(chunk)
    else if (this.phase === 'open') this.readFrames(chunk)
  }

  private readHandshake(chunk: Buffer): void {
    this.reader.push(chunk)
    try {
      for (;;) {
        const body = this.reader.next()
        if (body === undefined) return
        const step = this.handshake.receive(body)
        this.sendHandshake(step.replies)
        if (step.peer !== undefined) {
          this.completeHandshake(step.peer)
          return
        }
      }
    } catch (thrown) {
      // A HandshakeError from the handshake itself, or a FrameTooLargeError from the reader.
      const error =
        thrown instanceof HandshakeError
          ? thrown
          : this.handshake.fail('malformed', asError(thrown).message, thrown)
      this.failHandshake(error)
    }
  }

  private completeHandshake(peer: PeerInfo): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.peerInfo = peer
    this.phase = 'open'
    this.decoder = new FrameDecoder(this.options.maxFrameBytes)
    this.log.debug(
      { remote: this.remoteAddress, peer: peer.node, incarnation: peer.incarnation },
      `${this.role === 'server' ? 'accepted connection from' : 'connected to'} ${this.describePeer()}`,
    )
    this.opened?.resolve(this)
    this.opened = undefined
    const rest = this.reader.rest()
    if (rest.length > 0) this.readFrames(rest)
  }

  private failHandshake(error: HandshakeError, level: 'warn' | 'debug' = 'warn'): void {
    if (this.phase !== 'handshake') return
    this.phase = 'closing'
    clearTimeout(this.timer)
    this.timer = undefined
    this.closeError = error
    const line =
      this.role === 'server'
        ? `refused connection from ${this.describePeer()}: ${error.detail}`
        : error.message
    this.log[level]({ err: error, remote: this.remoteAddress, reason: error.reason }, line)
    const rejection = this.handshake.rejection
    if (rejection !== undefined && !this.socket.destroyed) {
      // Tell the peer why, then close; a peer that does not close its side is cut at the linger time.
      this.socket.end(encodeFrame(rejection))
      this.linger()
    } else {
      this.socket.destroy()
    }
    this.opened?.reject(error)
    this.opened = undefined
  }

  private readFrames(chunk: Buffer): void {
    let bodies: Buffer[]
    try {
      bodies = this.decoder!.push(chunk)
    } catch (thrown) {
      this.abort(asError(thrown))
      return
    }
    for (const body of bodies) {
      if (this.phase !== 'open') return
      this.inbox.receive(body)
    }
  }

  /** Cuts the connection because of `error`, logging why. */
  private abort(error: Error, prefix = ''): void {
    if (this.phase !== 'open') return
    this.log.warn(
      { err: error, remote: this.remoteAddress, peer: this.peerInfo?.node },
      `closing connection ${this.role === 'server' ? 'from' : 'to'} ${this.describePeer()}: ${prefix}${error.message}`,
    )
    this.close(error)
  }

  private linger(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.socket.destroy(), this.options.closeTimeoutMs)
    this.timer.unref()
  }

  private onEnd(): void {
    if (this.phase === 'handshake') {
      const hint = (this.socket as Socket & { encrypted?: boolean }).encrypted
        ? " (over TLS: it may have refused this node's certificate)"
        : ''
      this.failHandshake(this.handshake.fail('closed', `the peer closed the connection${hint}`))
    } else if (this.phase === 'open') {
      const buffered = this.decoder!.buffered
      if (buffered > 0) {
        this.abort(
          new ProtocolError(`the connection ended in the middle of a frame (${buffered} bytes of it read)`),
        )
        return
      }
      this.log.debug(
        { remote: this.remoteAddress, peer: this.peerInfo?.node },
        `${this.describePeer()} closed the connection`,
      )
      this.phase = 'closing'
      this.writer.discard()
      // With allowHalfOpen off, the socket ends its side by itself; 'close' follows.
    }
  }

  private onError(error: Error): void {
    if (this.phase === 'handshake') {
      const tls = tlsFailure(error)
      const text = describeSystemError(error).text
      this.failHandshake(
        tls === undefined
          ? this.handshake.fail('closed', text, error)
          : new HandshakeError('tls', tls.refusedBy, text, { remote: this.remoteAddress, cause: error }),
      )
    } else if (this.phase === 'open') {
      // An error while closing (a reset after either side ended) changes nothing: the close was clean.
      this.phase = 'closing'
      this.writer.discard()
      this.closeError = new ConnectionLostError(this.remoteAddress, { cause: error })
      this.log.warn(
        { err: this.closeError, remote: this.remoteAddress, peer: this.peerInfo?.node },
        `connection ${this.role === 'server' ? 'from' : 'to'} ${this.describePeer()} lost: ${describeSystemError(error).text}`,
      )
    }
  }

  private onDrain(): void {
    this.drain.release()
  }

  private onClose(): void {
    if (this.phase === 'handshake') this.failHandshake(this.handshake.fail('closed', 'the connection closed'))
    this.phase = 'closed'
    clearTimeout(this.timer)
    this.timer = undefined
    this.writer.discard()
    this.inbox.clear()
    this.onDrain()
    this.resolveClosed(this.closeError)
  }
}
