import type { Socket } from 'node:net'
import { ProtocolError } from '../../wire/errors.ts'
import { encodeFrame, FrameDecoder } from '../../wire/frames.ts'
import { asError, ConnectionLostError, describeSystemError, HandshakeError } from '../errors.ts'
import { FRAME_TAG_BYTES, FrameOpener, FrameSealer } from '../frame-seal.ts'
import { FrameWriter } from '../frame-writer.ts'
import { FramedConnection } from '../framed-connection.ts'
import { Handshake } from '../handshake.ts'
import { HANDSHAKE_MAX_FRAME_BYTES, type HandshakeRole } from '../handshake-messages.ts'
import type { ResolvedTransportOptions } from '../options.ts'
import type { PeerInfo } from '../transport.ts'
import { isLoopbackHost } from './address.ts'
import { HandshakeReader } from './handshake-reader.ts'
import { tlsFailure } from './tls-failure.ts'

/**
 * A {@link Connection} over a stream socket (TCP, TLS or a Unix domain socket). It runs the
 * handshake first ({@link SocketConnection.open}); until that completes, bytes from the peer are
 * read only as handshake frames of at most {@link HANDSHAKE_MAX_FRAME_BYTES}, and nothing else is
 * acted on.
 *
 * @internal made by `listenTcp` and `connectTcp`.
 */
export class SocketConnection extends FramedConnection {
  private readonly handshake: Handshake
  private readonly reader = new HandshakeReader(HANDSHAKE_MAX_FRAME_BYTES)
  private decoder: FrameDecoder | undefined
  protected readonly outbox: FrameWriter
  /** With `frameAuth`, once the handshake is done: what seals the frames sent and opens those read. */
  private sealer: FrameSealer | undefined
  private opener: FrameOpener | undefined
  private helloTimer: NodeJS.Timeout | undefined
  private opened:
    | { resolve: (connection: SocketConnection) => void; reject: (error: Error) => void }
    | undefined

  constructor(
    private readonly socket: Socket,
    private readonly role: HandshakeRole,
    private readonly options: ResolvedTransportOptions,
    remoteAddress: string,
  ) {
    super(
      {
        local: { node: options.node, incarnation: options.incarnation },
        remoteAddress,
        maxFrameBytes: options.maxFrameBytes,
        closeTimeoutMs: options.closeTimeoutMs,
        logger: options.logger,
      },
      'handshake',
    )
    this.handshake = new Handshake({
      role,
      node: options.node,
      incarnation: options.incarnation,
      cookie: options.cookie,
      frameAuth: options.frameAuth ?? frameAuthByAddress(socket, role),
      remote: remoteAddress,
    })
    this.outbox = new FrameWriter((chunk) => {
      socket.write(chunk)
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('end', () => this.onEnd())
    socket.on('error', (error) => this.onError(error))
    socket.on('close', () => this.onClose())
    socket.on('drain', () => this.drain.release())
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
      // A socket that says nothing is dropped sooner than one that is slow to prove itself.
      const helloTimeoutMs = this.options.helloTimeoutMs
      if (helloTimeoutMs < timeoutMs) {
        this.helloTimer = setTimeout(() => {
          if (!this.handshake.helloReceived)
            this.failHandshake(this.handshake.fail('timeout', `no hello within ${helloTimeoutMs} ms`))
        }, helloTimeoutMs)
      }
      this.sendHandshake(this.handshake.start())
    })
  }

  /** Ends a handshake in progress (the listener is closing, `connect` was aborted). */
  cancelHandshake(detail: string, cause?: unknown): void {
    if (this.phase === 'handshake') this.failHandshake(this.handshake.fail('closed', detail, cause), 'debug')
  }

  /** Seals the body when frames are authenticated; closes a connection whose peer lets too much queue up. */
  override send(body: Uint8Array): void {
    if (this.phase !== 'open') return
    this.outbox.write(this.sealer === undefined ? body : this.sealer.seal(body))
    const queued = this.socket.writableLength + this.outbox.pendingBytes
    if (queued > this.options.maxQueuedBytes) {
      this.abort(
        new ProtocolError(
          `${queued} bytes are queued to send, over maxQueuedBytes (${this.options.maxQueuedBytes}): the peer does not read what it is sent`,
        ),
      )
    }
  }

  override get writableNeedDrain(): boolean {
    return this.phase === 'open' && this.socket.writableNeedDrain
  }

  override close(error?: Error): void {
    if (this.phase === 'handshake') this.cancelHandshake('closed by this node', error)
    else super.close(error)
  }

  protected cut(): void {
    this.socket.destroy()
  }

  protected endCleanly(): void {
    this.socket.end()
    this.linger(() => this.socket.destroy())
  }

  protected override get direction(): 'from' | 'to' {
    return this.role === 'server' ? 'from' : 'to'
  }

  protected override holdReading(held: boolean): void {
    if (held) this.socket.pause()
    else this.socket.resume()
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
    this.clearTimers()
    this.knowPeer(peer)
    this.phase = 'open'
    const keys = this.handshake.frameKeys
    if (keys !== undefined) {
      this.sealer = new FrameSealer(keys.send)
      this.opener = new FrameOpener(keys.receive, () => this.describePeer())
    }
    // A sealed body is the body and its tag: the limit on bodies still holds for what they carry.
    this.decoder = new FrameDecoder(this.options.maxFrameBytes + (keys === undefined ? 0 : FRAME_TAG_BYTES))
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
    this.clearTimers()
    this.closeError = error
    // The listener logs a refused stranger itself, at most once per address and reason a while:
    // a line per connection here would let a flood of them write the log.
    if (this.role === 'client')
      this.log[level]({ err: error, remote: this.remoteAddress, reason: error.reason }, error.message)
    const rejection = this.handshake.rejection
    if (rejection !== undefined && !this.socket.destroyed) {
      // Tell the peer why, then close; a peer that does not close its side is cut at the linger time.
      this.socket.end(encodeFrame(rejection))
      this.linger(() => this.socket.destroy())
    } else {
      this.socket.destroy()
    }
    this.opened?.reject(error)
    this.opened = undefined
  }

  private clearTimers(): void {
    clearTimeout(this.timer)
    clearTimeout(this.helloTimer)
    this.timer = this.helloTimer = undefined
  }

  private readFrames(chunk: Buffer): void {
    let bodies: Buffer[]
    try {
      bodies = this.decoder!.push(chunk)
      // Every body is opened (and so checked) before any of this chunk is handed on.
      if (this.opener !== undefined) bodies = bodies.map((sealed) => this.opener!.open(sealed))
    } catch (thrown) {
      this.abort(asError(thrown))
      return
    }
    this.deliver(bodies)
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
        { remote: this.remoteAddress, peer: this.peerNode },
        `${this.describePeer()} closed the connection`,
      )
      this.peerEndedCleanly()
      this.phase = 'closing'
      this.outbox.discard()
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
      this.outbox.discard()
      this.closeError = new ConnectionLostError(this.remoteAddress, { cause: error })
      this.log.warn(
        { err: this.closeError, remote: this.remoteAddress, peer: this.peerNode },
        `connection ${this.direction} ${this.describePeer()} lost: ${describeSystemError(error).text}`,
      )
    }
  }

  private onClose(): void {
    if (this.phase === 'handshake') this.failHandshake(this.handshake.fail('closed', 'the connection closed'))
    this.finish()
  }
}

/**
 * `frameAuth` when not given: on for a connection over a network address, off over loopback or a
 * Unix socket (nothing between the two ends but this machine) and over TLS (which authenticates
 * every byte already). Both ends see the same address (the server its local one, the client the
 * one it reached), so they agree unless a tunnel or a NAT makes loopback of one side's view.
 */
function frameAuthByAddress(socket: Socket, role: HandshakeRole): boolean {
  if ((socket as Socket & { encrypted?: boolean }).encrypted) return false
  const address = role === 'server' ? socket.localAddress : socket.remoteAddress
  return address !== undefined && !isLoopbackHost(address)
}
