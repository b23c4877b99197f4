import { type Msg, type MsgHdrs, headers as natsHeaders } from '@nats-io/nats-core'
import { ServicePayloadError } from './errors.ts'

/**
 * How payloads and replies of services travel: as JSON text, so that `nats req`, `nats micro` and
 * clients in other languages read and write them; a `Uint8Array` (or Buffer) travels as its raw
 * bytes, marked with the header `Content-Type: application/octet-stream`, and arrives as a
 * `Uint8Array`. `undefined` travels as an empty body. JSON's rules apply to everything else: a
 * `Date` arrives as its ISO string, a `Map` or `Set` as `{}`, and `undefined` members are dropped;
 * a `bigint`, a cycle, a function or a symbol cannot be encoded and fail at the sender.
 */
export const BYTES_TYPE = 'application/octet-stream'
const CONTENT_TYPE = 'Content-Type'

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })
const empty = new Uint8Array(0)

/** A payload ready to publish. */
export interface EncodedPayload {
  readonly data: Uint8Array
  readonly headers: MsgHdrs | undefined
}

/**
 * Encodes `value` as JSON, or as raw bytes for a `Uint8Array`; throws {@link ServicePayloadError}
 * naming `what` when it cannot, or when it is over `maxPayload` bytes (the server's `max_payload`).
 */
export function encodePayload(value: unknown, what: string, maxPayload: number): EncodedPayload {
  let encoded: EncodedPayload
  if (value instanceof Uint8Array) {
    const headers = natsHeaders()
    headers.set(CONTENT_TYPE, BYTES_TYPE)
    encoded = { data: value, headers }
  } else if (value === undefined) {
    encoded = { data: empty, headers: undefined }
  } else {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw new ServicePayloadError(`${what} cannot be encoded as JSON: ${(error as Error).message}`, {
        cause: error,
      })
    }
    if (text === undefined)
      throw new ServicePayloadError(`${what} cannot be encoded as JSON: a ${typeof value}`)
    encoded = { data: textEncoder.encode(text), headers: undefined }
  }
  if (encoded.data.length > maxPayload) {
    throw new ServicePayloadError(
      `${what} is ${encoded.data.length} bytes, over the NATS server's max_payload of ${maxPayload} bytes`,
    )
  }
  return encoded
}

/** Decodes a payload or reply; throws {@link ServicePayloadError} naming `what` when it is not JSON. */
export function decodePayload(msg: Pick<Msg, 'data' | 'headers'>, what: string): unknown {
  // A copy: the message's bytes are a view into the socket's read chunk, which they would pin.
  if (msg.headers?.get(CONTENT_TYPE) === BYTES_TYPE) return msg.data.slice()
  if (msg.data.length === 0) return undefined
  try {
    return JSON.parse(textDecoder.decode(msg.data))
  } catch (error) {
    throw new ServicePayloadError(`${what} is not JSON: ${(error as Error).message}`, { cause: error })
  }
}
