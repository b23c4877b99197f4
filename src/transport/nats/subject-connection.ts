import { FrameTooLargeError, ProtocolError } from '../../wire/errors.ts'
import { asError, ConnectionLostError, HandshakeError } from '../errors.ts'
import { FRAME_TAG_BYTES, FrameOpener, FrameSealer } from '../frame-seal.ts'
import { FramedConnection, type FrameOutbox } from '../framed-connection.ts'
import { Handshake } from '../handshake.ts'
import { HANDSHAKE_MAX_FRAME_BYTES, type HandshakeRole } from '../handshake-messages.ts'
import type { ResolvedTransportOptions } from '../options.ts'
import type { PeerInfo } from '../transport.ts'
import { FramesLostError, SlowConsumerError } from './errors.ts'
import {
  encodeAbort,
  encodeClose,
  encodeFrame,
  encodeHandshake,
  framesSkipped,
  type NatsMessage,
  NatsMessageType,
} from './nats-messages.ts'

/** What a connection over NATS is made with, besides the transport's options. */
export interface SubjectConnectionOptions {
  readonly role: HandshakeRole
  /** The connection's id, in every message of it. */
  readonly id: Buffer
  /** The peer's inbox subject. */
  readonly peerSubject: string
  /** Publishes a message (never throws: a closed client drops it). */
  readonly publish: (subject: string, payload: Uint8Array) => void
  readonly frameAuth: boolean
  /** The largest body sent or accepted: `maxFrameBytes`, or less under the server's `max_payload`. */
  readonly maxFrameBytes: number
  /** Frames held unhandled past which the connection closes (`maxPendingMessages`). */
  readonly maxPendingMessages: number
  /** Called once the connection is closed, to drop it from the transport's table. */
  readonly finished: () => void
}

/**
 * A virtual connection between two nodes over NATS: its messages travel on the two nodes' inbox
 * subjects, tagged with its id. It runs the cookie handshake ({@link Handshake}) over them, then
 * carries frame bodies (sealed with `frameAuth`), each numbered: a number that skips closes the
 * connection with a {@link FramesLostError}, since NATS delivers at most once.
 *
 * @internal made by `openNatsTransport`.
 */
export class SubjectConnection extends FramedConnection {
  private readonly handshake: Handshake
  private sealer: FrameSealer | undefined
  private opener: FrameOpener | undefined
  private sent = 0
  private received = 0
  /** Frames that arrived while the inbox held frames back, since it began to. */
  private heldArrivals = 0
  private holding = false
  private opened:
    | { resolve: (connection: SubjectConnection) => void; reject: (error: Error) => void }
    | undefined
  protected readonly outbox: FrameOutbox = {
    write: (body) => this.publishFrame(body),
    // The NATS client gathers what is published in a turn into one write of its own.
    flush() {},
    discard() {},
  }

  constructor(
    private readonly transportOptions: ResolvedTransportOptions,
    private readonly own: SubjectConnectionOptions,
  ) {
    super(
      {
        local: { node: transportOptions.node, incarnation: transportOptions.incarnation },
        remoteAddress: own.peerSubject,
        maxFrameBytes: own.maxFrameBytes,
        closeTimeoutMs: transportOptions.closeTimeoutMs,
        logger: transportOptions.logger,
      },
      'handshake',
    )
    this.handshake = new Handshake({
      role: own.role,
      node: transportOptions.node,
      incarnation: transportOptions.incarnation,
      cookie: transportOptions.cookie,
      frameAuth: own.frameAuth,
      remote: own.peerSubject,
    })
  }

  /** Whether the handshake is still running. */
  get handshaking(): boolean {
    return this.phase === 'handshake'
  }

  /**
   * Starts the handshake: resolves with this connection once both sides have proved the cookie,
   * or rejects with a {@link HandshakeError}. `send` carries the first messages (the client's
   * hello goes in the `open` request, whose reply it handles itself).
   */
  open(send: (replies: Buffer[]) => void): Promise<SubjectConnection> {
    return new Promise((resolve, reject) => {
      this.opened = { resolve, reject }
      this.timer = setTimeout(() => {
        this.failHandshake(
          this.handshake.fail(
            'timeout',
            `no handshake within ${this.transportOptions.handshakeTimeoutMs} ms`,
          ),
        )
      }, this.transportOptions.handshakeTimeoutMs)
      this.timer.unref()
      send(this.handshake.start())
    })
  }

  /**
   * Handles one handshake message; its replies go to `reply` (the server's first one answers the
   * `open` request) or, by default, to the peer's inbox.
   */
  receiveHandshake(body: Buffer, reply?: (payload: Buffer) => void): void {
    if (this.phase !== 'handshake') return
    try {
      if (body.length > HANDSHAKE_MAX_FRAME_BYTES)
        throw this.handshake.fail('malformed', `a handshake message of ${body.length} bytes`)
      const step = this.handshake.receive(body)
      for (const message of step.replies) {
        const payload = encodeHandshake(NatsMessageType.Handshake, this.own.id, message)
        if (reply !== undefined) reply(payload)
        else this.own.publish(this.own.peerSubject, payload)
      }
      if (step.peer !== undefined) this.completeHandshake(step.peer)
    } catch (thrown) {
      const error =
        thrown instanceof HandshakeError
          ? thrown
          : this.handshake.fail('malformed', asError(thrown).message, thrown)
      this.failHandshake(error, reply)
    }
  }

  /** Fails the handshake from outside: the open request found nobody, or timed out. */
  rejectOpen(error: Error): void {
    if (this.phase !== 'handshake') return
    this.phase = 'closing'
    this.closeError = error
    this.opened?.reject(error)
    this.opened = undefined
    this.finish()
  }

  /** Handles a message of this connection after the handshake. */
  receive(message: NatsMessage): void {
    if (this.phase === 'handshake') {
      if (message.type === NatsMessageType.Handshake) this.receiveHandshake(message.body)
      else if (message.type === NatsMessageType.Abort)
        this.failHandshake(this.handshake.fail('closed', `the peer closed the connection: ${message.reason}`))
      return
    }
    if (this.phase !== 'open') return
    switch (message.type) {
      case NatsMessageType.Frame:
        this.receiveFrame(message.sequence, message.body)
        return
      case NatsMessageType.Close:
        this.receiveClose(message.sent)
        return
      case NatsMessageType.Abort:
        this.lost(new ConnectionLostError(this.remoteAddress, { cause: new Error(message.reason) }))
        return
      default:
        this.abort(
          new ProtocolError(`a ${message.type === 1 ? 'open' : 'handshake'} message after the handshake`),
        )
    }
  }

  /** The NATS client closed for good: the connection is lost. */
  clientClosed(reason: string): void {
    if (this.phase === 'handshake') this.failHandshake(this.handshake.fail('closed', reason))
    else if (this.phase === 'open')
      this.lost(new ConnectionLostError(this.remoteAddress, { cause: new Error(reason) }))
  }

  override close(error?: Error): void {
    if (this.phase === 'handshake')
      this.failHandshake(this.handshake.fail('closed', 'closed by this node', error), undefined, 'debug')
    else super.close(error)
  }

  protected cut(error: Error): void {
    this.own.publish(this.own.peerSubject, encodeAbort(this.own.id, error.message))
    this.finish()
  }

  protected endCleanly(): void {
    this.own.publish(this.own.peerSubject, encodeClose(this.own.id, this.sent))
    this.finish()
  }

  protected override get direction(): 'from' | 'to' {
    return this.own.role === 'server' ? 'from' : 'to'
  }

  protected override holdReading(held: boolean): void {
    this.holding = held
    this.heldArrivals = 0
  }

  protected override finish(): void {
    if (this.phase === 'closed') return
    super.finish()
    this.own.finished()
  }

  private publishFrame(body: Uint8Array): void {
    if (body.length > this.maxFrameBytes) {
      // The remote layer never sends one (it checks `maxFrameBytes`); NATS would refuse it anyway.
      this.abort(new FrameTooLargeError(body.length, this.maxFrameBytes))
      return
    }
    const sealed = this.sealer === undefined ? body : this.sealer.seal(body)
    this.sent = (this.sent + 1) >>> 0
    this.own.publish(this.own.peerSubject, encodeFrame(this.own.id, this.sent, sealed))
  }

  private receiveFrame(sequence: number, sealed: Buffer): void {
    const expected = (this.received + 1) >>> 0
    if (sequence !== expected) {
      const lost = framesSkipped(expected, sequence)
      this.abort(
        new FramesLostError(this.describePeer(), lost, `frame ${sequence} arrived where ${expected} was due`),
      )
      return
    }
    this.received = sequence
    let body: Buffer
    try {
      body = this.opener === undefined ? sealed : this.opener.open(sealed)
    } catch (thrown) {
      this.abort(asError(thrown))
      return
    }
    if (body.length > this.maxFrameBytes) {
      this.abort(new FrameTooLargeError(body.length, this.maxFrameBytes))
      return
    }
    if (this.holding && ++this.heldArrivals > this.own.maxPendingMessages) {
      this.abort(new SlowConsumerError(this.describePeer(), this.own.maxPendingMessages))
      return
    }
    this.deliver([body])
  }

  private receiveClose(sent: number): void {
    if (sent !== this.received) {
      const lost = framesSkipped(this.received, sent)
      this.lost(
        new FramesLostError(
          this.describePeer(),
          lost,
          `the peer closed after frame ${sent}, the last that arrived was ${this.received}`,
        ),
      )
      return
    }
    this.log.debug(
      { remote: this.remoteAddress, peer: this.peerNode },
      `${this.describePeer()} closed the connection`,
    )
    this.peerEndedCleanly()
    this.phase = 'closing'
    this.finish()
  }

  /** The connection ended by no choice of this node's: logged, and `closed()` gives the error. */
  private lost(error: Error): void {
    if (this.phase !== 'open') return
    this.phase = 'closing'
    this.closeError = error
    this.log.warn(
      { err: error, remote: this.remoteAddress, peer: this.peerNode },
      `connection ${this.direction} ${this.describePeer()} lost: ${error.message}`,
    )
    this.finish()
  }

  private completeHandshake(peer: PeerInfo): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.knowPeer(peer)
    this.phase = 'open'
    const keys = this.handshake.frameKeys
    if (keys !== undefined) {
      this.sealer = new FrameSealer(keys.send)
      this.opener = new FrameOpener(keys.receive, () => this.describePeer())
    }
    this.log.debug(
      { remote: this.remoteAddress, peer: peer.node, incarnation: peer.incarnation },
      `${this.own.role === 'server' ? 'accepted connection from' : 'connected to'} ${this.describePeer()} over NATS`,
    )
    this.opened?.resolve(this)
    this.opened = undefined
  }

  private failHandshake(
    error: HandshakeError,
    reply?: (payload: Buffer) => void,
    level: 'warn' | 'debug' = 'warn',
  ): void {
    if (this.phase !== 'handshake') return
    this.phase = 'closing'
    this.closeError = error
    // The transport logs refused strangers itself, a line per node and reason a while.
    if (this.own.role === 'client')
      this.log[level]({ err: error, remote: this.remoteAddress, reason: error.reason }, error.message)
    const rejection = this.handshake.rejection
    if (rejection !== undefined) {
      const payload = encodeHandshake(NatsMessageType.Handshake, this.own.id, rejection)
      if (reply !== undefined) reply(payload)
      else this.own.publish(this.own.peerSubject, payload)
    }
    this.opened?.reject(error)
    this.opened = undefined
    this.finish()
  }
}

/** Bytes a sealed frame adds to its body. */
export const SEAL_BYTES = FRAME_TAG_BYTES
