import { FrameTooLargeError } from '../../wire/errors.ts'
import { FRAME_HEADER_BYTES } from '../../wire/frames.ts'

const EMPTY = Buffer.alloc(0)

/**
 * Reads the handshake frames, one at a time, under a small size limit, and hands back the bytes
 * that follow the last one read, which belong to the frames after the handshake. A peer that has
 * not proved itself can make the node hold no more than one read chunk.
 */
export class HandshakeReader {
  private pending: Buffer = EMPTY

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds bytes read from the socket. */
  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
  }

  /** The next complete handshake frame's body, or `undefined` until more bytes arrive. Throws `FrameTooLargeError`. */
  next(): Buffer | undefined {
    if (this.pending.length < FRAME_HEADER_BYTES) return undefined
    const length = this.pending.readUInt32BE(0)
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes)
    const end = FRAME_HEADER_BYTES + length
    if (this.pending.length < end) return undefined
    const body = this.pending.subarray(FRAME_HEADER_BYTES, end)
    this.pending = this.pending.subarray(end)
    return body
  }

  /** Bytes held but not yet read as a frame. */
  get buffered(): number {
    return this.pending.length
  }

  /** Removes and returns the bytes not read as handshake frames. */
  rest(): Buffer {
    const rest = this.pending
    this.pending = EMPTY
    return rest
  }
}
