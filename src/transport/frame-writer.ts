import { FRAME_HEADER_BYTES } from '../wire/frames.ts'

/** Size of each buffer that frames are copied into before a write. */
const SLAB_BYTES = 64 * 1024

/**
 * Coalesces frames: each body is copied, after its header, into a slab buffer. The first frame of
 * a turn of the event loop is written at once, and the frames after it in the same turn leave
 * together on `setImmediate`, in one write of the slab's new bytes (a full slab is written at once).
 * Flushing on `setImmediate` rather than a microtask gathers the frames of every actor turn
 * before the loop goes round; measured on 2 cores with 24-byte bodies, 1M frames: one write per
 * frame 0.3M/s, cork/uncork per microtask 0.3-1.6M/s, Buffer.concat per setImmediate 1.4-2.0M/s,
 * this slab per setImmediate 2.0-2.7M/s. Writing the first frame at once saves a turn of latency
 * per hop, and lets a stream's consumer grant credit while it still has items to read.
 */
export class FrameWriter {
  private slab: Buffer | undefined
  private start = 0
  private end = 0
  private scheduled: NodeJS.Immediate | undefined
  private readonly flushSoon = (): void => {
    this.scheduled = undefined
    this.writeQueued()
  }

  /** @param sink called with each coalesced run of frames; it must not modify or keep them past the write. */
  constructor(private readonly sink: (chunk: Buffer) => void) {}

  /** Bytes waiting for the next flush. */
  get pendingBytes(): number {
    return this.end - this.start
  }

  /** Queues one frame (header and a copy of `body`). */
  write(body: Uint8Array): void {
    const needed = FRAME_HEADER_BYTES + body.length
    let slab = this.slab
    if (slab === undefined || slab.length - this.end < needed) {
      this.flush()
      slab = this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, needed))
      this.start = this.end = 0
    }
    slab.writeUInt32BE(body.length, this.end)
    slab.set(body, this.end + FRAME_HEADER_BYTES)
    this.end += needed
    if (this.scheduled === undefined) {
      this.scheduled = setImmediate(this.flushSoon)
      this.writeQueued()
    }
  }

  /** Writes what is queued now. The written bytes are never touched again: the sink may keep them until sent. */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled)
      this.scheduled = undefined
    }
    this.writeQueued()
  }

  private writeQueued(): void {
    if (this.end === this.start) return
    const chunk = this.slab!.subarray(this.start, this.end)
    this.start = this.end
    this.sink(chunk)
  }

  /** Drops what is queued (the connection was cut). */
  discard(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled)
    this.scheduled = undefined
    this.slab = undefined
    this.start = this.end = 0
  }
}
