import { InvalidOptionError } from '../core/errors.ts'
import { FrameTooLargeError } from './errors.ts'

/** Bytes of the big-endian length that starts every frame. */
export const FRAME_HEADER_BYTES = 4

/** The default largest frame body: 1 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024

/** The 4-byte header of a frame whose body has `length` bytes. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
  header.writeUInt32BE(length, 0)
  return header
}

/** One frame (header and body) in one buffer. */
export function encodeFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length)
  frame.writeUInt32BE(body.length, 0)
  frame.set(body, FRAME_HEADER_BYTES)
  return frame
}

/**
 * Splits a byte stream into frame bodies: a pure state machine fed with chunks as they arrive.
 * A header that claims more than `maxFrameBytes` throws `FrameTooLargeError` at once, before any
 * of the body is buffered; a body is assembled only from bytes that have arrived, so a peer that
 * claims a large frame and sends nothing costs nothing.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder(64 * 1024)
 * socket.on('data', (chunk) => { for (const body of decoder.push(chunk)) handle(body) })
 * ```
 */
export class FrameDecoder {
  private chunks: Buffer[] = []
  /** Bytes of `chunks[0]` already taken: a cursor, so that a frame costs one view (its body), not four. */
  private offset = 0
  private held = 0
  /** Length of the body being read, or -1 while reading a header. */
  private bodyLength = -1

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > 0xffffffff) {
      throw new InvalidOptionError(
        'maxFrameBytes',
        `expected an integer from 1 to 2^32-1, got ${maxFrameBytes}`,
      )
    }
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.held
  }

  /** Feeds bytes; returns the frame bodies they complete, in order. */
  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
      )
      this.held += chunk.length
    }
    const frames: Buffer[] = []
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.held < FRAME_HEADER_BYTES) return frames
        const length = this.readHeader()
        if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes)
        this.bodyLength = length
      }
      if (this.held < this.bodyLength) return frames
      frames.push(this.take(this.bodyLength))
      this.bodyLength = -1
    }
  }

  /** Removes the next header's bytes and returns the length it holds; call only with a header held. */
  private readHeader(): number {
    const first = this.chunks[0]!
    if (first.length - this.offset >= FRAME_HEADER_BYTES) {
      const length = first.readUInt32BE(this.offset)
      this.advance(first, FRAME_HEADER_BYTES)
      return length
    }
    return this.take(FRAME_HEADER_BYTES).readUInt32BE(0)
  }

  /** Removes and returns the next `n` held bytes (one copy at most). */
  private take(n: number): Buffer {
    const first = this.chunks[0]
    if (first !== undefined && first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n)
      this.advance(first, n)
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const next = this.chunks[0]!
      const used = Math.min(next.length - this.offset, n - filled)
      next.copy(out, filled, this.offset, this.offset + used)
      filled += used
      this.advance(next, used)
    }
    return out
  }

  /** Moves the cursor `n` bytes into `first` (the first chunk), dropping it once it is all taken. */
  private advance(first: Buffer, n: number): void {
    this.held -= n
    this.offset += n
    if (this.offset === first.length) {
      this.chunks.shift()
      this.offset = 0
    }
  }
}
