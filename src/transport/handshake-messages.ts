import { escapeControl } from '../core/escape-control.ts'
import type { HandshakeFailure } from './errors.ts'

/**
 * The handshake's messages in their fixed binary format: one byte of type, then fixed fields;
 * strings are a length byte and UTF-8. {@link Handshake} (handshake.ts) says in what order they
 * cross and what each proves.
 *
 * ```
 * hello   1 'TRPE' version:u16 role:u8 flags:u8 nonce:32 node:str
 * proof   2 mac:32 [incarnation:str]      (the client's proof has no incarnation)
 * ready   3 mac:32 incarnation:str
 * reject  4 reason:u8 length:u16 detail:utf8
 * ```
 */

/** The largest handshake message; a longer handshake frame is refused before it is read. */
export const HANDSHAKE_MAX_FRAME_BYTES = 1024

/** The largest node name or incarnation, in bytes of UTF-8. */
export const MAX_NODE_NAME_BYTES = 255

/** Bytes of each side's random nonce. */
export const NONCE_BYTES = 32

/** Bytes of a proof (HMAC-SHA256). */
export const PROOF_BYTES = 32

const MAX_REJECT_DETAIL_BYTES = 512
const MAGIC = Buffer.from('TRPE', 'latin1')

/** Where a hello's nonce starts: after its type, magic, version, role and flags. */
export const HELLO_NONCE_OFFSET = 1 + MAGIC.length + 2 + 1 + 1

/** Bit of a hello's flags: the sender seals every frame after the handshake (`frameAuth`). */
const FLAG_FRAME_AUTH = 1

/** Which end of the connection a handshake speaks for. */
export type HandshakeRole = 'client' | 'server'

/** The four handshake messages, by their type byte. */
export const MessageType = { Hello: 1, Proof: 2, Ready: 3, Reject: 4 } as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

export const typeNames: Record<number, string> = {
  [MessageType.Hello]: 'hello',
  [MessageType.Proof]: 'proof',
  [MessageType.Ready]: 'ready',
  [MessageType.Reject]: 'reject',
}

const roleCode: Record<HandshakeRole, number> = { client: 1, server: 2 }

const rejectCodes: Record<HandshakeFailure, number> = {
  'version-mismatch': 1,
  'cookie-mismatch': 2,
  malformed: 3,
  timeout: 4,
  closed: 5,
  tls: 6,
  'frame-auth-mismatch': 7,
}
const rejectReasons = new Map<number, HandshakeFailure>(
  Object.entries(rejectCodes).map(([reason, code]) => [code, reason as HandshakeFailure]),
)

/** A decoded `hello`. It carries no incarnation: that is told only to a peer that has proved the cookie. */
export interface Hello {
  version: number
  role: HandshakeRole
  /** The sender seals the frames after the handshake; both sides must agree. */
  frameAuth: boolean
  nonce: Buffer
  node: string
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
// C0 and C1 control characters and DEL: names go into log lines and error messages. Global, so
// that `replace` replaces every one (`test` is only used through `hasControlCharacter`).
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/g

function hasControlCharacter(text: string): boolean {
  controlCharacters.lastIndex = 0
  return controlCharacters.test(text)
}

/** Why `name` is not a valid node name or incarnation, or `undefined` if it is. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string, got ${typeof name}`
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes === 0) return 'expected a non-empty string'
  if (bytes > MAX_NODE_NAME_BYTES)
    return `${bytes} bytes of UTF-8 exceeds the limit of ${MAX_NODE_NAME_BYTES}`
  if (hasControlCharacter(name)) return 'contains a control character'
  if (/\p{Cs}/u.test(name)) return 'contains a lone surrogate'
  return undefined
}

/** Thrown by the decoders; turned into a `HandshakeError` (`malformed`) by the handshake. */
export class Malformed extends Error {}

/** A name as a length byte and its UTF-8. */
export function encodeName(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8')
  return Buffer.concat([Buffer.from([bytes.length]), bytes])
}

/** Reads a name written by {@link encodeName} at `at`; returns it and where it ends. */
export function readName(body: Buffer, at: number, what: string, message = 'hello'): [string, number] {
  if (at >= body.length) throw new Malformed(`${message} ends before its ${what}`)
  const length = body.readUInt8(at)
  const end = at + 1 + length
  if (end > body.length) throw new Malformed(`${message} ends inside its ${what}`)
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

/** Encodes a `hello`. */
export function encodeHello(hello: Hello): Buffer {
  if (hello.nonce.length !== NONCE_BYTES) throw new RangeError(`a nonce has ${NONCE_BYTES} bytes`)
  const head = Buffer.allocUnsafe(1 + MAGIC.length + 2 + 1 + 1)
  let at = head.writeUInt8(MessageType.Hello, 0)
  at += MAGIC.copy(head, at)
  at = head.writeUInt16BE(hello.version, at)
  at = head.writeUInt8(roleCode[hello.role], at)
  head.writeUInt8(hello.frameAuth ? FLAG_FRAME_AUTH : 0, at)
  return Buffer.concat([head, hello.nonce, encodeName(hello.node)])
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

/** Decodes a `hello` strictly: exact lengths, known flags, a UTF-8 name within {@link MAX_NODE_NAME_BYTES}. */
export function decodeHello(body: Buffer): Hello {
  const version = helloVersion(body)
  let at = 1 + MAGIC.length + 2
  if (body.length < at + 2 + NONCE_BYTES) throw new Malformed(`a hello of ${body.length} bytes is too short`)
  const roleByte = body.readUInt8(at++)
  const role = roleByte === roleCode.client ? 'client' : roleByte === roleCode.server ? 'server' : undefined
  if (role === undefined) throw new Malformed(`unknown role ${roleByte}`)
  const flags = body.readUInt8(at++)
  if ((flags & ~FLAG_FRAME_AUTH) !== 0) throw new Malformed(`unknown hello flags ${flags}`)
  const nonce = Buffer.from(body.subarray(at, at + NONCE_BYTES))
  at += NONCE_BYTES
  const [node, end] = readName(body, at, 'node name')
  if (end !== body.length) throw new Malformed(`${body.length - end} bytes after the end of the hello`)
  return { version, role, frameAuth: (flags & FLAG_FRAME_AUTH) !== 0, nonce, node }
}

/** Encodes a `proof` or a `ready`: a MAC, and the sender's incarnation when it tells it. */
export function encodeProof(type: 'proof' | 'ready', mac: Buffer, incarnation?: Buffer): Buffer {
  const head = Buffer.from([type === 'proof' ? MessageType.Proof : MessageType.Ready])
  return Buffer.concat(incarnation === undefined ? [head, mac] : [head, mac, incarnation])
}

/** Decodes a `proof` or a `ready` strictly: its MAC, and its incarnation if `withIncarnation`. */
export function decodeProof(
  body: Buffer,
  what: 'proof' | 'ready',
  withIncarnation: boolean,
): { mac: Buffer; incarnation?: string } {
  const macEnd = 1 + PROOF_BYTES
  if (!withIncarnation) {
    if (body.length !== macEnd) throw new Malformed(`a ${what} of ${body.length} bytes`)
    return { mac: body.subarray(1) }
  }
  if (body.length < macEnd) throw new Malformed(`a ${what} of ${body.length} bytes`)
  const [incarnation, end] = readName(body, macEnd, 'incarnation', `the ${what}`)
  if (end !== body.length) throw new Malformed(`${body.length - end} bytes after the end of the ${what}`)
  return { mac: body.subarray(1, macEnd), incarnation }
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

/** Decodes a `reject`; every control character of its detail reads as `?`. An unknown reason code reads as `malformed`. */
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
    // A peer's text: written out as every log line writes it (`\x1b`, `\n`), never raw.
    detail: escapeControl(detail),
  }
}
