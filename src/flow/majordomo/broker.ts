import { Router } from 'zeromq'
import { handleMmi } from './mmi.ts'
import {
  Command,
  type CommandCode,
  ErrorCode,
  errorBody,
  MMI_PREFIX,
  readBrokerInbound,
  splitEnvelope,
  toClient,
  toWorker,
} from './protocol.ts'
import { SendQueue } from './send-queue.ts'
import { type MdpLogger, positive, receiveEach, stderrLogger, WarnLimiter } from './support.ts'

/** Options of {@link startBroker}. */
export interface BrokerOptions {
  /** Where the broker's ROUTER binds, e.g. `tcp://127.0.0.1:5555`; `tcp://127.0.0.1:*` picks a free port. */
  endpoint: string
  /** How often the broker sends HEARTBEAT to each worker, in ms. Default 2500. */
  heartbeatIntervalMs?: number
  /** How many intervals a worker may stay silent before the broker counts it dead. Default 3. */
  heartbeatLiveness?: number
  /**
   * How many requests may wait per service for an idle worker. A request past it gets the error
   * reply `["mdp.error", "503", …]` at once (and a rate-limited warning) rather than waiting for a
   * timeout. Default 10 000.
   */
  maxQueuedRequests?: number
  /** Where warnings go (a pino logger fits). Default: stderr. */
  logger?: MdpLogger
}

/** What the broker has counted, and its services now. */
export interface BrokerStats {
  /** Workers the broker knows, over every service. */
  workers: number
  services: Record<string, { workers: number; idle: number; queued: number }>
  /** Client requests received, mmi ones included. */
  requests: number
  /** Replies passed from workers to clients. */
  replies: number
  /** Requests sent again to another worker after theirs died. */
  redelivered: number
  /** Requests that failed with the 502 error reply because their worker died. */
  lost: number
  /** Requests refused with the 503 error reply because their service's queue was full. */
  refused: number
  /** Frame sets dropped as malformed or against the protocol. */
  dropped: number
}

/** A running broker. */
export interface Broker {
  /** The endpoint it is bound to, with the port it got. */
  readonly endpoint: string
  /** Stops: tells every worker DISCONNECT, then closes the socket. */
  close(): Promise<void>
  stats(): BrokerStats
}

interface Request {
  client: Buffer
  /** The tag of a tagged client's request, sent back first in its reply. */
  tag: Buffer | undefined
  body: Buffer[]
  /** Whether it was already sent again after a worker died holding it: it is sent again once only. */
  redelivered: boolean
}

interface WorkerEntry {
  key: string
  address: Buffer
  service: Service
  expiresAt: number
  current: Request | undefined
}

interface Service {
  name: string
  nameFrame: Buffer
  workers: Set<WorkerEntry>
  /** Idle workers, the one idle longest first: taking from the head and returning to the tail is round robin. */
  idle: WorkerEntry[]
  queue: Request[]
}

/**
 * Starts a Majordomo (MDP/0.1) broker on a ROUTER socket: it routes each client request to an idle
 * worker of its service in turn, queues requests while none is idle, heartbeats the workers and
 * answers the `mmi.` services itself.
 *
 * A worker silent for `heartbeatLiveness × heartbeatIntervalMs` is dead. A request it held is sent
 * once to another worker of the service if there is one; otherwise, or if that worker dies too,
 * the client gets the error reply `["mdp.error", "502", text]`.
 */
export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const broker = new MajordomoBroker(options)
  await broker.bind()
  return broker
}

class MajordomoBroker implements Broker {
  endpoint: string
  private readonly socket: Router
  private readonly out: SendQueue
  private readonly warnings: WarnLimiter
  private readonly logger: MdpLogger
  private readonly interval: number
  private readonly expiry: number
  private readonly maxQueued: number
  private readonly services = new Map<string, Service>()
  private readonly workers = new Map<string, WorkerEntry>()
  private readonly counts = { requests: 0, replies: 0, redelivered: 0, lost: 0, refused: 0, dropped: 0 }
  private timer: NodeJS.Timeout | undefined
  private loop: Promise<void> | undefined
  private closing: Promise<void> | undefined

  constructor(options: BrokerOptions) {
    this.endpoint = options.endpoint
    this.interval = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 2500)
    this.expiry = this.interval * positive('heartbeatLiveness', options.heartbeatLiveness ?? 3)
    this.maxQueued = positive('maxQueuedRequests', options.maxQueuedRequests ?? 10_000)
    this.logger = options.logger ?? stderrLogger
    this.warnings = new WarnLimiter(this.logger)
    // Made once the options are known good, so that a refused option leaves no socket open.
    this.socket = new Router({ linger: 200 })
    this.out = new SendQueue(this.socket, (error) =>
      this.warnings.warn('send', { err: error }, 'MajorDomo broker could not send'),
    )
  }

  async bind(): Promise<void> {
    try {
      await this.socket.bind(this.endpoint)
    } catch (error) {
      this.socket.close()
      throw error
    }
    this.endpoint = this.socket.lastEndpoint ?? this.endpoint
    this.timer = setInterval(() => this.beat(), this.interval)
    this.loop = this.receive()
  }

  stats(): BrokerStats {
    const services: BrokerStats['services'] = {}
    for (const s of this.services.values())
      services[s.name] = { workers: s.workers.size, idle: s.idle.length, queued: s.queue.length }
    return { workers: this.workers.size, services, ...this.counts }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer)
      for (const worker of this.workers.values()) this.out.send(toWorker(worker.address, Command.Disconnect))
      await this.out.flushed()
      this.socket.close()
      await this.loop
    })()
    return this.closing
  }

  private async receive(): Promise<void> {
    try {
      await receiveEach(this.socket, (frames) => {
        this.handle(frames)
        return true
      })
    } catch (error) {
      if (!this.socket.closed) this.logger.warn({ err: error }, 'MajorDomo broker stopped receiving')
    }
  }

  private handle(frames: Buffer[]): void {
    const inbound = readBrokerInbound(frames)
    if (inbound.kind === 'client') this.onClient(inbound.sender, inbound.service, inbound.body, inbound.tag)
    else if (inbound.kind === 'worker') this.onWorker(inbound.sender, inbound.command, inbound.rest)
    else this.drop(inbound.sender, inbound.reason)
  }

  private drop(sender: Buffer | undefined, reason: string): void {
    this.counts.dropped++
    this.warnings.warn(
      'malformed',
      { reason, peer: sender?.toString('hex') },
      `MajorDomo broker dropped a frame set: ${reason}`,
    )
  }

  private onClient(client: Buffer, serviceFrame: Buffer, body: Buffer[], tag: Buffer | undefined): void {
    this.counts.requests++
    const name = serviceFrame.toString()
    if (name.startsWith(MMI_PREFIX)) {
      const reply = handleMmi(name, body, (service) => (this.services.get(service)?.workers.size ?? 0) > 0)
      this.out.send(toClient(client, serviceFrame, reply, tag))
      return
    }
    const service = this.service(name)
    if (service.queue.length >= this.maxQueued) {
      this.counts.refused++
      this.warnings.warn(
        `full:${name}`,
        { service: name, maxQueuedRequests: this.maxQueued },
        `MajorDomo service '${name}' has ${this.maxQueued} requests waiting (maxQueuedRequests): refusing more`,
      )
      const text = `service '${name}' has ${this.maxQueued} requests waiting (maxQueuedRequests)`
      this.out.send(toClient(client, serviceFrame, errorBody(ErrorCode.QueueFull, text), tag))
      return
    }
    service.queue.push({ client, tag, body, redelivered: false })
    this.dispatch(service)
  }

  private onWorker(address: Buffer, command: CommandCode, rest: Buffer[]): void {
    const key = address.toString('latin1')
    const worker = this.workers.get(key)
    if (command === Command.Ready) {
      const name = rest[0]?.toString()
      if (worker !== undefined || name === undefined || name === '' || name.startsWith(MMI_PREFIX)) {
        this.protocolError(address, worker, 'READY from a known worker, or without a valid service')
        return
      }
      this.addWorker(key, address, name)
      return
    }
    if (worker === undefined) {
      // RFC 7: a command from a worker the broker does not know gets DISCONNECT (it may be one the
      // broker counted dead, or one from before a restart): the worker then connects afresh.
      if (command !== Command.Disconnect) this.out.send(toWorker(address, Command.Disconnect))
      return
    }
    worker.expiresAt = performance.now() + this.expiry
    if (command === Command.Heartbeat) return
    if (command === Command.Disconnect) {
      this.removeWorker(worker, 'it sent DISCONNECT')
      return
    }
    const envelope = command === Command.Reply ? splitEnvelope(rest) : undefined
    if (envelope === undefined) {
      this.protocolError(
        address,
        worker,
        command === Command.Reply ? 'REPLY without a client envelope' : 'REQUEST from a worker',
      )
      return
    }
    const request = worker.current
    if (request === undefined || !request.client.equals(envelope.client)) {
      // A reply to nothing it holds (a late one, from before a reconnect): forwarding it could give
      // a client two replies, or the wrong one, so it goes.
      this.drop(address, 'REPLY from a worker that holds no request for that client')
      return
    }
    this.counts.replies++
    worker.current = undefined
    worker.service.idle.push(worker)
    // The worker's next request goes out before this reply: the workers, one request each, are
    // what limits the rate, so none should wait on a send to a client.
    this.dispatch(worker.service)
    this.out.send(toClient(request.client, worker.service.nameFrame, envelope.body, request.tag))
  }

  private protocolError(address: Buffer, worker: WorkerEntry | undefined, reason: string): void {
    this.drop(address, reason)
    this.out.send(toWorker(address, Command.Disconnect))
    if (worker !== undefined) this.removeWorker(worker, reason)
  }

  private service(name: string): Service {
    let service = this.services.get(name)
    if (service === undefined) {
      service = { name, nameFrame: Buffer.from(name), workers: new Set(), idle: [], queue: [] }
      this.services.set(name, service)
    }
    return service
  }

  private addWorker(key: string, address: Buffer, name: string): void {
    const service = this.service(name)
    const worker: WorkerEntry = {
      key,
      address,
      service,
      expiresAt: performance.now() + this.expiry,
      current: undefined,
    }
    this.workers.set(key, worker)
    service.workers.add(worker)
    service.idle.push(worker)
    this.logger.debug({ service: name, worker: address.toString('hex') }, 'MajorDomo worker ready')
    this.dispatch(service)
  }

  private dispatch(service: Service): void {
    while (service.idle.length > 0 && service.queue.length > 0) {
      const worker = service.idle.shift()!
      const request = service.queue.shift()!
      worker.current = request
      this.out.send(
        toWorker(worker.address, Command.Request, [request.client, Buffer.alloc(0), ...request.body]),
      )
    }
  }

  private removeWorker(worker: WorkerEntry, reason: string): void {
    const { service } = worker
    this.workers.delete(worker.key)
    service.workers.delete(worker)
    const at = service.idle.indexOf(worker)
    if (at >= 0) service.idle.splice(at, 1)
    this.logger.info(
      { service: service.name, worker: worker.address.toString('hex'), reason },
      'MajorDomo worker removed',
    )
    const request = worker.current
    worker.current = undefined
    if (request !== undefined) this.redeliverOrFail(service, request)
    // A service with no workers and nothing waiting is forgotten, so that the names clients ask
    // for do not pile up.
    if (service.workers.size === 0 && service.queue.length === 0) this.services.delete(service.name)
  }

  private redeliverOrFail(service: Service, request: Request): void {
    if (!request.redelivered && service.workers.size > 0) {
      // Sent again once, ahead of the waiting requests: it has waited longest.
      request.redelivered = true
      this.counts.redelivered++
      service.queue.unshift(request)
      this.dispatch(service)
      return
    }
    this.counts.lost++
    const text = request.redelivered
      ? `the workers of service '${service.name}' died twice while holding the request`
      : `the worker of service '${service.name}' died while holding the request, and no other worker serves it`
    this.out.send(
      toClient(request.client, service.nameFrame, errorBody(ErrorCode.WorkerLost, text), request.tag),
    )
  }

  /** Every interval: HEARTBEAT to every worker, and out with those silent too long. */
  private beat(): void {
    const now = performance.now()
    for (const worker of [...this.workers.values()]) {
      if (worker.expiresAt < now) this.removeWorker(worker, 'no heartbeat within the liveness')
      else this.out.send(toWorker(worker.address, Command.Heartbeat))
    }
  }
}
