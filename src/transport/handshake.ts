import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { PROTOCOL_VERSION } from '../wire/envelope.ts'
import { HandshakeError, type HandshakeFailure } from './errors.ts'
import type { PeerInfo } from './transport.ts'

/**
 * The handshake: the first frames on every connection, in a small fixed binary format (one byte
 * of type, then fixed fields; strings are a length byte and UTF-8).
 *
 * ```
 * client -> server  hello   { version, role, nonce, node, incarnation }
 * server -> client  hello   (or reject: version-mismatch)
 * client -> server  proof   HMAC(cookie, "troupe client proof" + client hello + server hello)
 * server -> client  proof   HMAC(cookie, "troupe server proof" + ...)   (or reject: cookie-mismatch)
 * client -> server  ready   (or reject: cookie-mismatch)
 * ```
 *
 * Each hello carries a fresh 32-byte nonce, so every proof covers both nonces, both node names
 * and incarnations and the version; the role tag makes a reflected proof fail. The server proves
 * itself only to a client that has proved itself first, so a stranger learns nothing it could
 * test cookies against offline. The client is done when the server's proof checks out (the server
 * has accepted the client by then); the server when the client's `ready` says it accepted.
 */

/** The largest handshake message; a longer handshake frame is refused before it is read. */
export const HANDSHAKE_MAX_FRAME_BYTES = 1024

/** The largest node name or incarnation, in bytes of UTF-8. */
export const MAX_NODE_NAME_BYTES = 255

/** Bytes of each side's random nonce. */
export const NONCE_BYTES = 32

const PROOF_BYTES = 32
const MAX_REJECT_DETAIL_BYTES = 512
const MAGIC = Buffer.from('TRPE', 'latin1')

/** Which end of the connection a handshake speaks for. */
export type HandshakeRole = 'client' | 'server'

/** The four handshake messages, by their type byte. */
const MessageType = { Hello: 1, Proof: 2, Ready: 3, Reject: 4 } as const
type MessageType = (typeof MessageType)[keyof typeof MessageType]

const roleCode: Record<HandshakeRole, number> = { client: 1, server: 2 }

const rejectCodes: Record<HandshakeFailure, number> = {
  'version-mismatch': 1,
  'cookie-mismatch': 2,
  malformed: 3,
  timeout: 4,
  closed: 5,
  tls: 6,
}
const rejectReasons = new Map<number, HandshakeFailure>(
  Object.entries(rejectCodes).map(([reason, code]) => [code, reason as HandshakeFailure]),
)

/** A decoded `hello`. */
export interface Hello {
  version: number
  role: HandshakeRole
  nonce: Buffer
  node: string
  incarnation: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
// C0 and C1 control characters and DEL: names go into log lines and error messages.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/

/** Why `name` is not a valid node name or incarnation, or `undefined` if it is. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string, got ${typeof name}`
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes === 0) return 'expected a non-empty string'
  if (bytes > MAX_NODE_NAME_BYTES)
    return `${bytes} bytes of UTF-8 exceeds the limit of ${MAX_NODE_NAME_BYTES}`
  if (controlCharacters.test(name)) return 'contains a control character'
  if (/\p{Cs}/u.test(name)) return 'contains a lone surrogate'
  return undefined
}

/** Encodes a `hello`. */
export function encodeHello(hello: Hello): Buffer {
  const node = Buffer.from(hello.node, 'utf8')
  const incarnation = Buffer.from(hello.incarnation, 'utf8')
  if (hello.nonce.length !== NONCE_BYTES) throw new RangeError(`a nonce has ${NONCE_BYTES} bytes`)
  const out = Buffer.allocUnsafe(
    1 + MAGIC.length + 2 + 1 + NONCE_BYTES + 1 + node.length + 1 + incarnation.length,
  )
  let at = out.writeUInt8(MessageType.Hello, 0)
  at += MAGIC.copy(out, at)
  at = out.writeUInt16BE(hello.version, at)
  at = out.writeUInt8(roleCode[hello.role], at)
  at += hello.nonce.copy(out, at)
  at = out.writeUInt8(node.length, at)
  at += node.copy(out, at)
  at = out.writeUInt8(incarnation.length, at)
  incarnation.copy(out, at)
  return out
}

/** Thrown by the decoders; turned into a {@link HandshakeError} by the handshake. */
class Malformed extends Error {}

function readName(body: Buffer, at: number, what: string): [string, number] {
  if (at >= body.length) throw new Malformed(`hello ends before its ${what}`)
  const length = body.readUInt8(at)
  const end = at + 1 + length
  if (end > body.length) throw new Malformed(`hello ends inside its ${what}`)
  let text: string
  try {
    text = utf8.decode(body.subarray(at + 1, end))
  } catch {
    throw new Malformed(`the ${what} is not valid UTF-8`)
  }
  const problem = nameProblem(text)
  if (problem !== undefined) throw new Malformed(`the ${what} ${JSON.stringify(text)}: ${problem}`)
  return [text, end]
}

/**
 * The protocol version a `hello` states. It is read before the rest, so that a peer of another
 * version (whose hello may differ after it) is refused for its version and not as malformed.
 */
export function helloVersion(body: Buffer): number {
  if (body.length < 1 + MAGIC.length + 2) throw new Malformed(`a hello of ${body.length} bytes is too short`)
  if (!body.subarray(1, 1 + MAGIC.length).equals(MAGIC)) throw new Malformed('not a Troupe hello (bad magic)')
  return body.readUInt16BE(1 + MAGIC.length)
}

/** Decodes a `hello` strictly: exact lengths, UTF-8 names within {@link MAX_NODE_NAME_BYTES}. */
export function decodeHello(body: Buffer): Hello {
  const version = helloVersion(body)
  let at = 1 + MAGIC.length + 2
  if (body.length < at + 1 + NONCE_BYTES) throw new Malformed(`a hello of ${body.length} bytes is too short`)
  const roleByte = body.readUInt8(at++)
  const role = roleByte === roleCode.client ? 'client' : roleByte === roleCode.server ? 'server' : undefined
  if (role === undefined) throw new Malformed(`unknown role ${roleByte}`)
  const nonce = Buffer.from(body.subarray(at, at + NONCE_BYTES))
  at += NONCE_BYTES
  const [node, afterNode] = readName(body, at, 'node name')
  const [incarnation, end] = readName(body, afterNode, 'incarnation')
  if (end !== body.length) throw new Malformed(`${body.length - end} bytes after the end of the hello`)
  return { version, role, nonce, node, incarnation }
}

/** Encodes a `reject`: why the sender refuses the handshake, with a short text for the peer's logs. */
export function encodeReject(reason: HandshakeFailure, detail: string): Buffer {
  let text = Buffer.from(detail, 'utf8')
  if (text.length > MAX_REJECT_DETAIL_BYTES)
    text = Buffer.from(detail.slice(0, MAX_REJECT_DETAIL_BYTES / 4), 'utf8')
  const out = Buffer.allocUnsafe(4 + text.length)
  out.writeUInt8(MessageType.Reject, 0)
  out.writeUInt8(rejectCodes[reason], 1)
  out.writeUInt16BE(text.length, 2)
  text.copy(out, 4)
  return out
}

/** Decodes a `reject`. An unknown reason code reads as `malformed`. */
export function decodeReject(body: Buffer): { reason: HandshakeFailure; detail: string } {
  if (body.length < 4) throw new Malformed(`a reject of ${body.length} bytes is too short`)
  const length = body.readUInt16BE(2)
  if (length > MAX_REJECT_DETAIL_BYTES || body.length !== 4 + length)
    throw new Malformed('a reject whose detail length is wrong')
  let detail: string
  try {
    detail = utf8.decode(body.subarray(4))
  } catch {
    throw new Malformed('the detail of a reject is not valid UTF-8')
  }
  return {
    reason: rejectReasons.get(body.readUInt8(1)) ?? 'malformed',
    detail: detail.replace(controlCharacters, '?'),
  }
}

function encodeProof(proof: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + PROOF_BYTES)
  out.writeUInt8(MessageType.Proof, 0)
  proof.copy(out, 1)
  return out
}

const READY = Buffer.from([MessageType.Ready])

const typeNames: Record<number, string> = {
  [MessageType.Hello]: 'hello',
  [MessageType.Proof]: 'proof',
  [MessageType.Ready]: 'ready',
  [MessageType.Reject]: 'reject',
}

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
  private peerInfo: PeerInfo | undefined
  private readonly key: Buffer
  private readonly version: number
  private rejectionBody: Buffer | undefined

  constructor(private readonly options: HandshakeOptions) {
    this.version = options.version ?? PROTOCOL_VERSION
    this.key = Buffer.from(options.cookie, 'utf8')
    this.ownHello = encodeHello({
      version: this.version,
      role: options.role,
      nonce: options.nonce ?? randomBytes(NONCE_BYTES),
      node: options.node,
      incarnation: options.incarnation,
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

  /** The peer, once its hello has been read. */
  get peer(): PeerInfo | undefined {
    return this.peerInfo
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
      const [client, server] =
        this.options.role === 'client' ? [this.version, version] : [version, this.version]
      throw this.refuse(
        'version-mismatch',
        `the client speaks protocol version ${client}, the server ${server}`,
      )
    }
    const hello = decodeHello(body)
    const peerRole = this.options.role === 'client' ? 'server' : 'client'
    if (hello.role !== peerRole)
      throw new Malformed(`the peer says it is a ${hello.role}, expected a ${peerRole}`)
    this.peerHello = Buffer.from(body)
    this.peerInfo = { node: hello.node, incarnation: hello.incarnation }
    this.state = 'proof'
    // The client proves itself first; the server answers with its hello and waits for that proof.
    return this.options.role === 'client'
      ? { replies: [encodeProof(this.proof('client'))] }
      : { replies: [this.ownHello] }
  }

  private onProof(body: Buffer): HandshakeStep {
    if (body.length !== 1 + PROOF_BYTES) throw new Malformed(`a proof of ${body.length} bytes`)
    const peerRole = this.options.role === 'client' ? 'server' : 'client'
    if (!timingSafeEqual(body.subarray(1), this.proof(peerRole))) {
      throw this.refuse(
        'cookie-mismatch',
        `the ${peerRole}'s proof does not match the ${this.options.role}'s cookie`,
      )
    }
    if (this.options.role === 'server') {
      this.state = 'ready'
      return { replies: [encodeProof(this.proof('server'))] }
    }
    this.state = 'done'
    return { replies: [READY], peer: this.peerInfo! }
  }

  private onReady(body: Buffer): HandshakeStep {
    if (body.length !== 1) throw new Malformed(`a ready of ${body.length} bytes`)
    this.state = 'done'
    return { replies: [], peer: this.peerInfo! }
  }

  /** HMAC(cookie, role tag + client hello + server hello): both nonces, both names, the version. */
  private proof(role: HandshakeRole): Buffer {
    const [clientHello, serverHello] =
      this.options.role === 'client' ? [this.ownHello, this.peerHello!] : [this.peerHello!, this.ownHello]
    return createHmac('sha256', this.key)
      .update(`troupe ${role} proof`)
      .update(clientHello)
      .update(serverHello)
      .digest()
  }

  private refuse(reason: HandshakeFailure, detail: string): HandshakeError {
    this.state = 'failed'
    this.rejectionBody = encodeReject(reason, detail)
    return new HandshakeError(reason, 'local', detail, { remote: this.options.remote })
  }
}
