import { Dealer } from 'zeromq'
import type { ClientOptions, MdpClient, RequestBody, RequestOptions } from './client.ts'
import { readClientReply } from './client-reply.ts'
import { MdpClientClosedError, MdpTimeoutError } from './errors.ts'
import { taggedClientFrames } from './protocol.ts'
import { SendQueue } from './send-queue.ts'
import { receiveEach } from './support.ts'

interface Pending {
  service: string
  frames: Buffer[]
  resolve: (body: Buffer[]) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/**
 * The client of `mdpClient({ multiplex: true })`: every request on one DEALER, each after a tag
 * frame of its own (a 4-byte sequence number) that the Troupe broker sends back first in the
 * reply. Replies on one connection come in bursts that ZeroMQ writes and reads many at a time,
 * where a socket per request costs a write, a read and a wake-up each.
 */
export class TaggedClient implements MdpClient {
  private readonly socket = new Dealer({ linger: 0 })
  private readonly out: SendQueue
  private readonly maxInFlight: number
  private readonly timeoutMs: number
  /** Requests sent, by tag. */
  private readonly inFlight = new Map<number, Pending>()
  /** Requests waiting for room, oldest first, each with its tag. */
  private readonly waiting: { tag: number; pending: Pending }[] = []
  private readonly services = new Map<string, Buffer>()
  private nextTag = 0
  private closed = false
  private readonly receiving: Promise<void>

  constructor(options: ClientOptions, maxInFlight: number, timeoutMs: number) {
    this.maxInFlight = maxInFlight
    this.timeoutMs = timeoutMs
    this.socket.connect(options.broker)
    // A frame set the socket refused is a request that times out: it fails alone, as it would on
    // a socket of its own.
    this.out = new SendQueue(this.socket, () => {})
    this.receiving = receiveEach(this.socket, (frames) => {
      this.onReply(frames)
      return true
    }).catch((error: unknown) => this.failAll(error))
  }

  request(service: string, body: RequestBody, options: RequestOptions = {}): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new MdpClientClosedError(service))
    const frames = typeof body === 'string' ? [Buffer.from(body)] : Array.isArray(body) ? body : [body]
    const ms = options.timeout ?? this.timeoutMs
    const tag = this.nextTag
    this.nextTag = (this.nextTag + 1) >>> 0
    return new Promise<Buffer[]>((resolve, reject) => {
      const pending: Pending = {
        service,
        frames,
        resolve,
        reject,
        timer: setTimeout(() => this.timedOut(tag, pending, ms), ms),
      }
      if (this.inFlight.size < this.maxInFlight) this.send(tag, pending)
      else this.waiting.push({ tag, pending })
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const { pending } of this.waiting.splice(0))
      this.fail(pending, new MdpClientClosedError(pending.service))
    for (const pending of this.inFlight.values())
      this.fail(pending, new MdpClientClosedError(pending.service))
    this.inFlight.clear()
    this.socket.close()
    await this.receiving
  }

  private send(tag: number, pending: Pending): void {
    this.inFlight.set(tag, pending)
    const tagFrame = Buffer.allocUnsafe(4)
    tagFrame.writeUInt32BE(tag, 0)
    this.out.send(taggedClientFrames(tagFrame, this.serviceFrame(pending.service), pending.frames))
  }

  private serviceFrame(service: string): Buffer {
    let frame = this.services.get(service)
    if (frame === undefined) {
      frame = Buffer.from(service)
      // Names a caller makes up per request must not pile up.
      if (this.services.size < 1_000) this.services.set(service, frame)
    }
    return frame
  }

  /** `[tag, empty, "MDPC01", service, body…]`. */
  private onReply(frames: Buffer[]): void {
    const tagFrame = frames[0]
    // A reply with no tag of ours, or to a request that timed out, answers nothing waiting.
    if (tagFrame?.length !== 4) return
    const tag = tagFrame.readUInt32BE(0)
    const pending = this.inFlight.get(tag)
    if (pending === undefined) return
    this.inFlight.delete(tag)
    clearTimeout(pending.timer)
    const outcome = this.read(pending.service, frames)
    if (outcome instanceof Error) pending.reject(outcome)
    else pending.resolve(outcome)
    this.pump()
  }

  private read(service: string, frames: Buffer[]): Buffer[] | Error {
    return readClientReply(service, frames, 1)
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.inFlight.size < this.maxInFlight) {
      const { tag, pending } = this.waiting.shift()!
      this.send(tag, pending)
    }
  }

  private timedOut(tag: number, pending: Pending, ms: number): void {
    // Its tag is never used again (until the counter wraps), so a late reply finds nothing.
    if (!this.inFlight.delete(tag)) {
      const at = this.waiting.findIndex((w) => w.pending === pending)
      if (at < 0) return
      this.waiting.splice(at, 1)
    }
    pending.reject(new MdpTimeoutError(pending.service, ms))
    this.pump()
  }

  private fail(pending: Pending, error: Error): void {
    clearTimeout(pending.timer)
    pending.reject(error)
  }

  /** The socket failed: every request fails with the error. */
  private failAll(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error))
    for (const { pending } of this.waiting.splice(0)) this.fail(pending, failure)
    for (const pending of this.inFlight.values()) this.fail(pending, failure)
    this.inFlight.clear()
  }
}
