import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { PROTOCOL_VERSION } from '../wire/envelope.ts'
import { cookieKey } from './cookie-key.ts'
import { HandshakeError, type HandshakeFailure } from './errors.ts'
import { deriveFrameKeys, type FrameKeys } from './frame-seal.ts'
import {
  decodeHello,
  decodeProof,
  decodeReject,
  encodeHello,
  encodeName,
  encodeProof,
  encodeReject,
  type HandshakeRole,
  helloVersion,
  Malformed,
  MessageType,
  NONCE_BYTES,
  typeNames,
} from './handshake-messages.ts'
import type { PeerInfo } from './transport.ts'

/**
 * The handshake: the first frames on every connection (the format is in handshake-messages.ts).
 *
 * ```
 * client -> server  hello   { version, role, frameAuth, nonce, node }
 * server -> client  hello   (or reject: version-mismatch, frame-auth-mismatch)
 * client -> server  proof   HMAC(key, "troupe client proof" + client hello + server hello)
 * server -> client  proof   HMAC(key, "troupe server proof" + both hellos + server incarnation),
 *                           server incarnation                     (or reject: cookie-mismatch)
 * client -> server  ready   HMAC(key, "troupe client ready" + both hellos + server proof
 *                           + client incarnation), client incarnation   (or reject: cookie-mismatch)
 * ```
 *
 * `key` is the cookie stretched by scrypt ({@link cookieKey}), never the cookie itself.
 *
 * Each hello carries a fresh 32-byte nonce, so every MAC covers both nonces, both node names, the
 * version and both `frameAuth` flags (a relay that flips a flag to turn sealing off fails the
 * proofs, and each side refuses a peer whose flag differs from its own); the role tags make a
 * reflected proof fail. A side tells its incarnation only once the peer has proved the cookie to
 * it, and under a MAC, so a stranger never learns which run of a node it reached. With
 * `frameAuth`, both sides then derive per-direction keys from the cookie and both hellos
 * ({@link deriveFrameKeys}) and seal every later frame.
 *
 * Who proves first. Without a password-authenticated key exchange, whichever side proves first
 * hands a peer that has not proved anything an HMAC under the cookie, which that peer can test
 * cookie guesses against offline. If the server proved first, anyone who can open a TCP
 * connection to the port would get one for the asking, then hang up: no failed proof to count or
 * throttle, no rogue listener needed. With the client first, only a listener the client chose to
 * connect to (an on-path relay, a spoofed address) gets one, and it must be where the client
 * connects; proving both at once would expose both sides. So the client proves first, the server
 * proves itself only to a client whose proof checked out, and a rogue listener's offline guessing
 * is answered by the cookie's strength (at least 16 characters; a random cookie, as nodes make by
 * default, cannot be guessed), by the stretch, which makes each offline guess cost a scrypt (tens of
 * milliseconds and 16 MiB, where a bare HMAC cost a microsecond), and by TLS where the network
 * cannot be trusted at all.
 *
 * The client is done when the server's proof checks out (the server has accepted the client by
 * then); the server when the client's `ready` checks out.
 */

/** Options of a {@link Handshake}. */
export interface HandshakeOptions {
  /** `'client'` for the side that connected, `'server'` for the side that accepted. */
  role: HandshakeRole
  /** This node's name. */
  node: string
  /** This node's incarnation. */
  incarnation: string
  /** The shared secret. */
  cookie: string
  /**
   * Seal every frame after the handshake with keys derived from it; the peer must say the same.
   * @default false
   */
  frameAuth?: boolean
  /** The peer's address, for error messages. */
  remote?: string
  /** The protocol version this side speaks (tests change it). @default PROTOCOL_VERSION */
  version?: number
  /** This side's nonce (tests fix it). @default 32 random bytes */
  nonce?: Buffer
}

/** What the caller does after a handshake step: send `replies` in order; if `peer` is set, the handshake is done. */
export interface HandshakeStep {
  replies: Buffer[]
  peer?: PeerInfo
}

/**
 * One side of the handshake as a pure state machine over message bodies: no sockets, no timers.
 * Send {@link Handshake.start}'s messages, feed every handshake frame to {@link Handshake.receive}
 * and send what it returns. When a step throws a {@link HandshakeError}, send
 * {@link Handshake.rejection} (if any) and close the connection.
 *
 * @example
 * ```ts
 * const handshake = new Handshake({ role: 'client', node: 'a', incarnation, cookie })
 * for (const body of handshake.start()) send(body)
 * // for each handshake frame:
 * const { replies, peer } = handshake.receive(body)
 * ```
 */
export class Handshake {
  private state: 'new' | 'hello' | 'proof' | 'ready' | 'done' | 'failed' = 'new'
  private readonly ownHello: Buffer
  private peerHello: Buffer | undefined
  private peerNode: string | undefined
  private peerInfo: PeerInfo | undefined
  private serverProof: Buffer | undefined
  private readonly key: Buffer
  private readonly version: number
  private readonly frameAuth: boolean
  private readonly incarnation: Buffer
  private rejectionBody: Buffer | undefined
  private keys: FrameKeys | undefined

  constructor(private readonly options: HandshakeOptions) {
    this.version = options.version ?? PROTOCOL_VERSION
    this.frameAuth = options.frameAuth ?? false
    this.key = cookieKey(options.cookie)
    this.incarnation = encodeName(options.incarnation)
    this.ownHello = encodeHello({
      version: this.version,
      role: options.role,
      frameAuth: this.frameAuth,
      nonce: options.nonce ?? randomBytes(NONCE_BYTES),
      node: options.node,
    })
  }

  /** The messages this side sends first: the client's hello; nothing for the server, which answers. */
  start(): Buffer[] {
    if (this.state !== 'new') throw new Error('the handshake has already started')
    this.state = 'hello'
    return this.options.role === 'client' ? [this.ownHello] : []
  }

  /** After a failure: the `reject` message to send the peer before closing, if it should be told why. */
  get rejection(): Buffer | undefined {
    return this.rejectionBody
  }

  /** Whether the handshake has completed. */
  get done(): boolean {
    return this.state === 'done'
  }

  /** Whether the peer's hello has been read (the hello timeout no longer applies). */
  get helloReceived(): boolean {
    return this.peerHello !== undefined
  }

  /** The peer, once the handshake is done. */
  get peer(): PeerInfo | undefined {
    return this.peerInfo
  }

  /** Once done with `frameAuth`: the keys that seal what this side sends and open what it receives. */
  get frameKeys(): FrameKeys | undefined {
    return this.keys
  }

  /** Handles one handshake message from the peer. Throws {@link HandshakeError} when the handshake fails. */
  receive(body: Buffer): HandshakeStep {
    if (this.state === 'new') throw new Error('call start() before receive()')
    if (this.state === 'done' || this.state === 'failed') throw new Error(`the handshake is ${this.state}`)
    try {
      return this.step(body)
    } catch (error) {
      this.state = 'failed'
      if (error instanceof Malformed) throw this.refuse('malformed', error.message)
      throw error
    }
  }

  /** Fails the handshake from outside (a timeout, a closed socket); returns the error to report. */
  fail(reason: HandshakeFailure, detail: string, cause?: unknown): HandshakeError {
    this.state = 'failed'
    this.rejectionBody = reason === 'timeout' ? encodeReject(reason, detail) : undefined
    return new HandshakeError(reason, 'local', detail, { remote: this.options.remote, cause })
  }

  private step(body: Buffer): HandshakeStep {
    const type = body.length > 0 ? body.readUInt8(0) : 0
    if (type === MessageType.Reject) {
      const { reason, detail } = decodeReject(body)
      this.state = 'failed'
      throw new HandshakeError(reason, 'peer', detail, { remote: this.options.remote })
    }
    const expected = this.expected()
    if (type !== expected) {
      throw new Malformed(
        `expected a ${typeNames[expected]} message, got ${typeNames[type] ?? `an unknown message type ${type}`}`,
      )
    }
    switch (this.state) {
      case 'hello':
        return this.onHello(body)
      case 'proof':
        return this.onProof(body)
      default:
        return this.onReady(body)
    }
  }

  private expected(): MessageType {
    return this.state === 'hello'
      ? MessageType.Hello
      : this.state === 'proof'
        ? MessageType.Proof
        : MessageType.Ready
  }

  private onHello(body: Buffer): HandshakeStep {
    const version = helloVersion(body)
    if (version !== this.version) {
      const [clientVersion, serverVersion] =
        this.options.role === 'client' ? [this.version, version] : [version, this.version]
      throw this.refuse(
        'version-mismatch',
        `the client speaks protocol version ${clientVersion}, the server ${serverVersion}`,
      )
    }
    const hello = decodeHello(body)
    const peerRole = this.options.role === 'client' ? 'server' : 'client'
    if (hello.role !== peerRole)
      throw new Malformed(`the peer says it is a ${hello.role}, expected a ${peerRole}`)
    if (hello.frameAuth !== this.frameAuth) {
      const [clientSeals, serverSeals] =
        this.options.role === 'client' ? [this.frameAuth, hello.frameAuth] : [hello.frameAuth, this.frameAuth]
      const says = (seals: boolean): string => (seals ? 'seals its frames' : 'does not seal its frames')
      throw this.refuse(
        'frame-auth-mismatch',
        `the client ${says(clientSeals)} (frameAuth ${clientSeals}), the server ${says(serverSeals)} (frameAuth ${serverSeals}): give both nodes the same frameAuth`,
      )
    }
    this.peerHello = Buffer.from(body)
    this.peerNode = hello.node
    this.state = 'proof'
    // The client proves itself first (see the order above); the server answers with its hello.
    return this.options.role === 'client'
      ? { replies: [encodeProof('proof', this.mac('troupe client proof'))] }
      : { replies: [this.ownHello] }
  }

  private onProof(body: Buffer): HandshakeStep {
    if (this.options.role === 'server') {
      const { mac } = decodeProof(body, 'proof', false)
      this.check(mac, this.mac('troupe client proof'), 'proof')
      this.state = 'ready'
      this.serverProof = encodeProof(
        'proof',
        this.mac('troupe server proof', this.incarnation),
        this.incarnation,
      )
      return { replies: [this.serverProof] }
    }
    const { mac, incarnation } = decodeProof(body, 'proof', true)
    const peerIncarnation = encodeName(incarnation!)
    this.check(mac, this.mac('troupe server proof', peerIncarnation), 'proof')
    const ready = encodeProof(
      'ready',
      this.mac('troupe client ready', Buffer.from(body), this.incarnation),
      this.incarnation,
    )
    return { replies: [ready], peer: this.complete(incarnation!) }
  }

  private onReady(body: Buffer): HandshakeStep {
    const { mac, incarnation } = decodeProof(body, 'ready', true)
    this.check(mac, this.mac('troupe client ready', this.serverProof!, encodeName(incarnation!)), 'ready')
    return { replies: [], peer: this.complete(incarnation!) }
  }

  private check(mac: Buffer, expected: Buffer, what: 'proof' | 'ready'): void {
    if (timingSafeEqual(mac, expected)) return
    const peerRole = this.options.role === 'client' ? 'server' : 'client'
    throw this.refuse(
      'cookie-mismatch',
      `the ${peerRole}'s ${what} does not match the ${this.options.role}'s cookie`,
    )
  }

  private complete(incarnation: string): PeerInfo {
    this.state = 'done'
    this.peerInfo = { node: this.peerNode!, incarnation }
    if (this.frameAuth) {
      const [clientHello, serverHello] = this.hellos()
      this.keys = deriveFrameKeys(this.key, clientHello, serverHello, this.options.role)
    }
    return this.peerInfo
  }

  private hellos(): [Buffer, Buffer] {
    return this.options.role === 'client'
      ? [this.ownHello, this.peerHello!]
      : [this.peerHello!, this.ownHello]
  }

  /** HMAC(key, tag + client hello + server hello + more): both nonces, both names, the version, the flags. */
  private mac(tag: string, ...more: Buffer[]): Buffer {
    const [clientHello, serverHello] = this.hellos()
    const hmac = createHmac('sha256', this.key).update(tag).update(clientHello).update(serverHello)
    for (const part of more) hmac.update(part)
    return hmac.digest()
  }

  private refuse(reason: HandshakeFailure, detail: string): HandshakeError {
    this.state = 'failed'
    this.rejectionBody = encodeReject(reason, detail)
    return new HandshakeError(reason, 'local', detail, { remote: this.options.remote })
  }
}
