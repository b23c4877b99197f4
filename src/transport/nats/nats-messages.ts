import { randomBytes } from 'node:crypto'
import { ProtocolError } from '../../wire/errors.ts'

/**
 * What travels on a node's inbox subject: small binary messages, each a type byte, the 8-byte id
 * of the virtual connection it belongs to, and a part by type. A connection is opened with a
 * request (so that a node nobody subscribes for answers "no responders" at once), runs the cookie
 * handshake in `handshake` messages, then carries frame bodies in `frame` messages, numbered per
 * direction so that a lost one is noticed, and ends with `close` (clean, with the count of frames
 * sent) or `abort` (cut, with why).
 *
 * ```
 * open       type, id, handshake body (the client's hello)     a request; its reply is a handshake message
 * handshake  type, id, handshake body
 * frame      type, id, sequence (uint32, from 1), frame body
 * close      type, id, frames sent (uint32)
 * abort      type, id, reason (UTF-8)
 * ```
 */
export const NatsMessageType = { Open: 1, Handshake: 2, Frame: 3, Close: 4, Abort: 5 } as const
export type NatsMessageType = (typeof NatsMessageType)[keyof typeof NatsMessageType]

/** Bytes of a connection id. */
export const CONNECTION_ID_BYTES = 8
/** Bytes before the body of a `frame` message: type, id, sequence. */
export const FRAME_HEADER_BYTES = 1 + CONNECTION_ID_BYTES + 4
const HEAD_BYTES = 1 + CONNECTION_ID_BYTES

/** A fresh connection id, as the key of the connections table (hex). */
export function newConnectionId(): Buffer {
  return randomBytes(CONNECTION_ID_BYTES)
}

/** One decoded message; `body` shares memory with the payload. */
export type NatsMessage =
  | { type: typeof NatsMessageType.Open | typeof NatsMessageType.Handshake; id: string; body: Buffer }
  | { type: typeof NatsMessageType.Frame; id: string; sequence: number; body: Buffer }
  | { type: typeof NatsMessageType.Close; id: string; sent: number }
  | { type: typeof NatsMessageType.Abort; id: string; reason: string }

/** An `open` or `handshake` message. */
export function encodeHandshake(
  type: typeof NatsMessageType.Open | typeof NatsMessageType.Handshake,
  id: Buffer,
  body: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(HEAD_BYTES + body.length)
  out[0] = type
  id.copy(out, 1)
  out.set(body, HEAD_BYTES)
  return out
}

/** A `frame` message. */
export function encodeFrame(id: Buffer, sequence: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length)
  out[0] = NatsMessageType.Frame
  id.copy(out, 1)
  out.writeUInt32BE(sequence, HEAD_BYTES)
  out.set(body, FRAME_HEADER_BYTES)
  return out
}

/** A `close` message, with how many frames this side sent. */
export function encodeClose(id: Buffer, sent: number): Buffer {
  const out = Buffer.allocUnsafe(HEAD_BYTES + 4)
  out[0] = NatsMessageType.Close
  id.copy(out, 1)
  out.writeUInt32BE(sent, HEAD_BYTES)
  return out
}

/** An `abort` message, with why (at most 1,000 bytes of it). */
export function encodeAbort(id: Buffer, reason: string): Buffer {
  const text = Buffer.from(reason.slice(0, 1000), 'utf8')
  const out = Buffer.allocUnsafe(HEAD_BYTES + text.length)
  out[0] = NatsMessageType.Abort
  id.copy(out, 1)
  text.copy(out, HEAD_BYTES)
  return out
}

/** The id of the connection a message belongs to, as a table key. */
export function connectionKey(id: Buffer): string {
  return id.toString('hex')
}

/** Decodes a message; throws `ProtocolError` for one that is not. */
export function decodeNatsMessage(data: Uint8Array): NatsMessage {
  const payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (payload.length < HEAD_BYTES)
    throw new ProtocolError(`a message of ${payload.length} bytes is too short for a Troupe message`)
  const type = payload[0]
  const id = payload.toString('hex', 1, HEAD_BYTES)
  switch (type) {
    case NatsMessageType.Open:
    case NatsMessageType.Handshake:
      return { type, id, body: payload.subarray(HEAD_BYTES) }
    case NatsMessageType.Frame:
      if (payload.length < FRAME_HEADER_BYTES) throw new ProtocolError('a frame message without its sequence')
      return {
        type,
        id,
        sequence: payload.readUInt32BE(HEAD_BYTES),
        body: payload.subarray(FRAME_HEADER_BYTES),
      }
    case NatsMessageType.Close:
      if (payload.length !== HEAD_BYTES + 4) throw new ProtocolError('a close message of the wrong length')
      return { type, id, sent: payload.readUInt32BE(HEAD_BYTES) }
    case NatsMessageType.Abort:
      return { type, id, reason: payload.toString('utf8', HEAD_BYTES) }
    default:
      throw new ProtocolError(`unknown Troupe message type ${String(type)}`)
  }
}

/** How many frames were skipped between `expected` and `got` (sequence numbers wrap at 2^32). */
export function framesSkipped(expected: number, got: number): number {
  return (got - expected) >>> 0
}
