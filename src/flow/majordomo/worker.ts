import { Dealer } from 'zeromq'
import { InvalidOptionError, sleep } from '../../index.ts'
import { Command, ErrorCode, errorBody, MDP_WORKER, splitEnvelope, workerFrames } from './protocol.ts'
import { SendQueue } from './send-queue.ts'
import { type MdpLogger, positive, receiveEach, stderrLogger } from './support.ts'

/** What a worker does with a request body; what it returns is the reply body. */
export type MdpHandler = (body: Buffer[]) => Promise<Buffer[]> | Buffer[]

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** The broker's endpoint, e.g. `tcp://127.0.0.1:5555`. */
  broker: string
  /** The service this worker serves. */
  service: string
  handler: MdpHandler
  /** How often the worker sends HEARTBEAT, in ms; should match the broker's. Default 2500. */
  heartbeatIntervalMs?: number
  /** How many intervals the broker may stay silent before the worker counts it lost. Default 3. */
  heartbeatLiveness?: number
  /** How long the worker waits before connecting again to a broker it lost, in ms. Default 2500. */
  reconnectMs?: number
  /** Where warnings go (a pino logger fits). Default: stderr. */
  logger?: MdpLogger
}

/** A running worker. */
export interface MdpWorker {
  /** Stops: tells the broker DISCONNECT and closes the socket. A request in its handler is not replied to. */
  close(): Promise<void>
  /** Requests handled, handler failures among them, and connections made to the broker. */
  stats(): { handled: number; failed: number; connections: number }
}

/**
 * Starts a Majordomo (MDP/0.1) worker on a DEALER socket: it sends READY, serves one request at a
 * time with `handler`, heartbeats, and connects again when the broker is silent for
 * `heartbeatLiveness × heartbeatIntervalMs` or sends DISCONNECT. A handler that throws gives the
 * client the error reply `["mdp.error", "500", message]`; the worker goes on serving.
 *
 * Heartbeats run on a timer, so a handler that blocks the event loop longer than the broker's
 * liveness makes the broker count the worker dead.
 */
export function startWorker(options: WorkerOptions): MdpWorker {
  return new Worker(options)
}

class Worker implements MdpWorker {
  private readonly interval: number
  private readonly expiry: number
  private readonly reconnectMs: number
  private readonly logger: MdpLogger
  private readonly stopped = new AbortController()
  private readonly counts = { handled: 0, failed: 0, connections: 0 }
  private socket: Dealer | undefined
  private out: SendQueue | undefined
  private readonly running: Promise<void>

  constructor(private readonly options: WorkerOptions) {
    if (options.service === '') throw new InvalidOptionError('service', 'must not be empty')
    this.interval = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 2500)
    this.expiry = this.interval * positive('heartbeatLiveness', options.heartbeatLiveness ?? 3)
    this.reconnectMs = positive('reconnectMs', options.reconnectMs ?? 2500)
    this.logger = options.logger ?? stderrLogger
    this.running = this.run()
  }

  stats() {
    return { ...this.counts }
  }

  async close(): Promise<void> {
    if (!this.stopped.signal.aborted) {
      this.stopped.abort()
      const { socket, out } = this
      if (socket !== undefined && out !== undefined && !socket.closed) {
        out.send(workerFrames(Command.Disconnect))
        await out.flushed()
        socket.close()
      }
    }
    await this.running
  }

  private async run(): Promise<void> {
    const { signal } = this.stopped
    while (!signal.aborted) {
      await this.connection()
      if (signal.aborted) break
      this.logger.info(
        { broker: this.options.broker, service: this.options.service },
        'MajorDomo worker reconnecting',
      )
      await sleep(this.reconnectMs, { signal }).catch(() => {})
    }
  }

  /** One connection to the broker, until the broker is lost, says DISCONNECT, or the worker stops. */
  private async connection(): Promise<void> {
    // A fresh socket each time: the broker knows a worker by its socket's identity, and one it
    // counted dead must come back as a new worker.
    const socket = new Dealer({ linger: 100 })
    const out = new SendQueue(socket, (error) =>
      this.logger.warn({ err: error }, 'MajorDomo worker could not send'),
    )
    this.socket = socket
    this.out = out
    this.counts.connections++
    socket.connect(this.options.broker)
    out.send(workerFrames(Command.Ready, [Buffer.from(this.options.service)]))
    let expiresAt = performance.now() + this.expiry
    const timer = setInterval(() => {
      if (performance.now() > expiresAt) {
        this.logger.warn({ broker: this.options.broker }, 'MajorDomo worker lost the broker: no heartbeat')
        socket.close()
      } else out.send(workerFrames(Command.Heartbeat))
    }, this.interval)
    try {
      await receiveEach(socket, (frames) => {
        expiresAt = performance.now() + this.expiry
        if (frames.length < 3 || frames[0]!.length !== 0 || frames[1]!.toString() !== MDP_WORKER) {
          this.logger.warn({ frames: frames.length }, 'MajorDomo worker dropped a malformed frame set')
          return true
        }
        const command = frames[2]![0]
        if (command === Command.Request) this.serve(socket, out, frames.slice(3))
        else if (command === Command.Disconnect) return false
        else if (command !== Command.Heartbeat)
          this.logger.warn({ command }, 'MajorDomo worker dropped an unexpected command')
        return true
      })
    } catch (error) {
      if (!socket.closed) this.logger.warn({ err: error }, 'MajorDomo worker stopped receiving')
    } finally {
      clearInterval(timer)
      if (!socket.closed) socket.close()
    }
  }

  private serve(socket: Dealer, out: SendQueue, rest: Buffer[]): void {
    const envelope = splitEnvelope(rest)
    if (envelope === undefined) {
      this.logger.warn({}, 'MajorDomo worker dropped a REQUEST without a client envelope')
      return
    }
    const reply = (body: Buffer[]) => {
      // The reply goes only on the connection the request came by: after a reconnect the broker
      // has already given the request to another worker, or failed it.
      if (!socket.closed) out.send(workerFrames(Command.Reply, [envelope.client, Buffer.alloc(0), ...body]))
    }
    const failed = (error: unknown) => {
      this.counts.failed++
      const message = error instanceof Error ? error.message : String(error)
      this.logger.debug({ err: error, service: this.options.service }, 'MajorDomo handler failed')
      reply(errorBody(ErrorCode.HandlerFailed, message))
    }
    this.counts.handled++
    try {
      const result = this.options.handler(envelope.body)
      if (Array.isArray(result)) reply(result)
      else result.then(reply, failed)
    } catch (error) {
      failed(error)
    }
  }
}
