import { Dealer } from 'zeromq'
import { InvalidOptionError } from '../../index.ts'
import { readClientReply } from './client-reply.ts'
import { MdpClientClosedError, MdpTimeoutError } from './errors.ts'
import { clientFrames } from './protocol.ts'
import { TaggedClient } from './tagged-client.ts'

/** Options of {@link mdpClient}. */
export interface ClientOptions {
  /** The broker's endpoint, e.g. `tcp://127.0.0.1:5555`. */
  broker: string
  /**
   * How many requests may be in flight at once, each on a socket of its own (see {@link mdpClient});
   * more wait in order for a free socket. Default 64.
   */
  maxInFlight?: number
  /** The timeout of a request that names none, in ms. Default 10 000. */
  timeoutMs?: number
  /**
   * Sends every request on one DEALER socket, each after a tag frame that the Troupe broker sends
   * back first in its reply, instead of one socket per request in flight. Many requests on one
   * connection batch: against 4 workers it gives several times the rate. MDP/0.1 has no such
   * frame, so only a Troupe broker serves such a client (any other drops its requests as
   * malformed). Default false.
   */
  multiplex?: boolean
}

/** Options of one request. */
export interface RequestOptions {
  /** How long the request may take, waiting for a free socket included, in ms. */
  timeout?: number
}

/** A body as a request takes it: frames, one frame, or one string frame. */
export type RequestBody = Buffer[] | Buffer | string

/** A Majordomo (MDP/0.1) client. */
export interface MdpClient {
  /**
   * Asks `service` and resolves with the reply's body frames. Rejects with `MdpTimeoutError`
   * (naming the service) past the timeout, with `MdpServiceError` on an error reply
   * (`["mdp.error", code, text]`), with `MdpClientClosedError` if the client closes first.
   */
  request(service: string, body: RequestBody, options?: RequestOptions): Promise<Buffer[]>
  /** Closes every socket; requests still waiting reject with `MdpClientClosedError`. */
  close(): Promise<void>
}

interface Pending {
  service: string
  frames: Buffer[]
  resolve: (body: Buffer[]) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
  settled: boolean
  slot: Dealer | undefined
}

/**
 * Opens a Majordomo client on a pool of DEALER sockets.
 *
 * An MDP/0.1 reply names its service but not its request, and a broker with several workers may
 * answer requests to one service out of order, so one socket cannot tell which reply is whose.
 * The client therefore keeps at most one request in flight per socket, and opens up to
 * `maxInFlight` sockets (lazily, and kept for reuse). A request that times out closes its socket,
 * so that a late reply can never be taken for the next request's (as RFC 7's clients do).
 *
 * With `multiplex: true` it keeps every request on one socket instead, told apart by a tag frame
 * only the Troupe broker returns (see {@link ClientOptions.multiplex}).
 */
export function mdpClient(options: ClientOptions): MdpClient {
  if (options.multiplex !== true) return new Client(options)
  const { maxInFlight, timeoutMs } = checked(options)
  return new TaggedClient(options, maxInFlight, timeoutMs)
}

function checked(options: ClientOptions): { maxInFlight: number; timeoutMs: number } {
  const maxInFlight = options.maxInFlight ?? 64
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
    throw new InvalidOptionError('maxInFlight', 'must be a positive integer')
  return { maxInFlight, timeoutMs: options.timeoutMs ?? 10_000 }
}

class Client implements MdpClient {
  private readonly maxInFlight: number
  private readonly timeoutMs: number
  private readonly idle: Dealer[] = []
  private readonly open = new Set<Dealer>()
  private readonly waiting: Pending[] = []
  private closed = false

  constructor(private readonly options: ClientOptions) {
    const { maxInFlight, timeoutMs } = checked(options)
    this.maxInFlight = maxInFlight
    this.timeoutMs = timeoutMs
  }

  request(service: string, body: RequestBody, options: RequestOptions = {}): Promise<Buffer[]> {
    if (this.closed) return Promise.reject(new MdpClientClosedError(service))
    const frames = clientFrames(
      service,
      typeof body === 'string' ? [Buffer.from(body)] : Array.isArray(body) ? body : [body],
    )
    const ms = options.timeout ?? this.timeoutMs
    return new Promise<Buffer[]>((resolve, reject) => {
      const pending: Pending = {
        service,
        frames,
        resolve,
        reject,
        settled: false,
        slot: undefined,
        timer: setTimeout(() => this.timedOut(pending, ms), ms),
      }
      this.waiting.push(pending)
      this.pump()
    })
  }

  async close(): Promise<void> {
    this.closed = true
    for (const pending of this.waiting.splice(0))
      this.settle(pending, new MdpClientClosedError(pending.service))
    for (const socket of this.open) socket.close()
    this.open.clear()
    this.idle.length = 0
  }

  /** Starts waiting requests while there are sockets for them. */
  private pump(): void {
    while (this.waiting.length > 0) {
      let socket = this.idle.pop()
      if (socket === undefined) {
        if (this.open.size >= this.maxInFlight) return
        socket = new Dealer({ linger: 0 })
        socket.connect(this.options.broker)
        this.open.add(socket)
      }
      void this.run(this.waiting.shift()!, socket)
    }
  }

  private async run(pending: Pending, socket: Dealer): Promise<void> {
    pending.slot = socket
    try {
      await socket.send(pending.frames)
      const frames = await socket.receive()
      if (pending.settled) return
      this.settle(pending, this.read(pending.service, frames))
    } catch (error) {
      // A socket closed under a request (its timeout, or close()) has settled it already.
      if (!pending.settled) this.settle(pending, error instanceof Error ? error : new Error(String(error)))
      this.discard(socket)
      if (!this.closed) this.pump()
      return
    }
    if (this.closed) return
    this.idle.push(socket)
    this.pump()
  }

  private read(service: string, frames: Buffer[]): Buffer[] | Error {
    return readClientReply(service, frames, 0)
  }

  private timedOut(pending: Pending, ms: number): void {
    if (pending.settled) return
    const at = this.waiting.indexOf(pending)
    if (at >= 0) this.waiting.splice(at, 1)
    this.settle(pending, new MdpTimeoutError(pending.service, ms))
    if (pending.slot !== undefined) {
      this.discard(pending.slot)
      this.pump()
    }
  }

  private discard(socket: Dealer): void {
    if (!socket.closed) socket.close()
    this.open.delete(socket)
  }

  private settle(pending: Pending, outcome: Buffer[] | Error): void {
    if (pending.settled) return
    pending.settled = true
    clearTimeout(pending.timer)
    if (outcome instanceof Error) pending.reject(outcome)
    else pending.resolve(outcome)
  }
}
