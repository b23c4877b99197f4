import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto'
import { ProtocolError } from '../wire/errors.ts'
import { type HandshakeRole, HELLO_NONCE_OFFSET, NONCE_BYTES } from './handshake-messages.ts'

/**
 * Authenticated frames (`frameAuth`): after the handshake, every frame body is sealed with
 * AES-256-GCM under a key of its direction, and the frame carries the ciphertext and the 16-byte
 * tag (the 4-byte length stays in clear). The 12-byte nonce is the direction's frame count (4
 * zero bytes, then 64 bits), which neither side sends: each counts. So a frame that is forged,
 * altered, replayed, reordered, or follows one that was dropped or injected fails its tag, and
 * the connection closes. A key is used for one direction of one connection only (both nonces
 * are fresh per connection), and a count never repeats under it (a connection is cut long before
 * 2^53 frames), so a nonce is never reused.
 *
 * A frame body is whatever `Connection.send` got, one envelope or a batch of them, so the cost of
 * a seal (about a microsecond and 16 bytes) is shared by the envelopes of a batch.
 */

/** Bytes a seal adds to a frame body: the GCM tag. */
export const FRAME_TAG_BYTES = 16

const KEY_BYTES = 32
const CIPHER = 'aes-256-gcm'
const MAX_FRAMES = Number.MAX_SAFE_INTEGER

/** The keys of one side of one connection: one seals what it sends, the other opens what it receives. */
export interface FrameKeys {
  readonly send: Buffer
  readonly receive: Buffer
}

/**
 * The per-direction keys, from HKDF-SHA256: the stretched cookie (`cookieKey`) is the secret,
 * both nonces the salt, and the direction's label with both hellos (which hold the nonces, both
 * node names, the roles, the version and the flags) the info, so the two directions, and any two
 * connections, never share a key.
 */
export function deriveFrameKeys(
  cookie: Buffer,
  clientHello: Buffer,
  serverHello: Buffer,
  role: HandshakeRole,
): FrameKeys {
  const salt = Buffer.concat([nonceOf(clientHello), nonceOf(serverHello)])
  const key = (direction: string): Buffer =>
    Buffer.from(
      hkdfSync(
        'sha256',
        cookie,
        salt,
        Buffer.concat([Buffer.from(direction), clientHello, serverHello]),
        KEY_BYTES,
      ),
    )
  const toServer = key('troupe frames client to server')
  const toClient = key('troupe frames server to client')
  return role === 'client' ? { send: toServer, receive: toClient } : { send: toClient, receive: toServer }
}

function nonceOf(hello: Buffer): Buffer {
  return hello.subarray(HELLO_NONCE_OFFSET, HELLO_NONCE_OFFSET + NONCE_BYTES)
}

function nonceFor(count: number): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeUInt32BE(Math.floor(count / 2 ** 32), 4)
  nonce.writeUInt32BE(count >>> 0, 8)
  return nonce
}

/** Seals the frame bodies of one direction, in the order they are sent. */
export class FrameSealer {
  private count = 0

  constructor(private readonly key: Buffer) {}

  /** The sealed body: ciphertext, then tag. */
  seal(body: Uint8Array): Buffer {
    if (this.count >= MAX_FRAMES) throw new ProtocolError('too many frames on one connection to seal')
    const cipher = createCipheriv(CIPHER, this.key, nonceFor(this.count++))
    const head = cipher.update(body)
    const tail = cipher.final()
    const tag = cipher.getAuthTag()
    return tail.length === 0 ? Buffer.concat([head, tag]) : Buffer.concat([head, tail, tag])
  }
}

/** Opens the frame bodies of one direction, in the order they arrive; throws at the first that fails. */
export class FrameOpener {
  private count = 0

  /** @param from names the peer in the error: `127.0.0.1:9700 (node b)`. */
  constructor(
    private readonly key: Buffer,
    private readonly from: () => string,
  ) {}

  /** The body `sealed` holds; throws `ProtocolError` if it fails authentication. */
  open(sealed: Buffer): Buffer {
    const count = this.count++
    if (sealed.length < FRAME_TAG_BYTES)
      throw this.failed(count, `${sealed.length} bytes is shorter than its tag`)
    const decipher = createDecipheriv(CIPHER, this.key, nonceFor(count))
    decipher.setAuthTag(sealed.subarray(sealed.length - FRAME_TAG_BYTES))
    const head = decipher.update(sealed.subarray(0, sealed.length - FRAME_TAG_BYTES))
    try {
      const tail = decipher.final()
      return tail.length === 0 ? head : Buffer.concat([head, tail])
    } catch {
      throw this.failed(count, 'forged, altered, replayed, reordered, or after a dropped frame')
    }
  }

  private failed(count: number, why: string): ProtocolError {
    return new ProtocolError(`frame ${count} from ${this.from()} failed authentication (${why})`)
  }
}
