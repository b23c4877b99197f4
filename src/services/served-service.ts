import { type Msg, type NatsConnection, headers as natsHeaders } from '@nats-io/nats-core'
import {
  type Endpoint,
  type Service,
  ServiceErrorCodeHeader,
  ServiceErrorHeader,
  type ServiceMsg,
  Svcm,
} from '@nats-io/services'
import type { Logger } from 'pino'
import { CancelledError } from '../concurrency/errors.ts'
import type {
  ServiceCounters,
  ServiceHandle,
  ServiceHandler,
  ServiceOptions,
  ServiceRequestInfo,
} from '../core/core-extensions.ts'
import { ServiceError } from './errors.ts'
import { decodePayload, encodePayload } from './payload.ts'
import { type ResolvedServiceOptions, resolveServiceOptions } from './service-options.ts'
import { WorkGate } from './work-gate.ts'

/** Error codes of the replies the services layer makes itself (HTTP-like, as the protocol's are). */
export const BAD_PAYLOAD_CODE = 400
export const HANDLER_FAILED_CODE = 500
export const BUSY_CODE = 503

/** Where a service runs: the connection, the cluster's subject prefix, the node serving it. */
export interface ServiceContext {
  readonly client: NatsConnection
  readonly prefix: string
  readonly node: string
  readonly logger: Logger
  /** How long `stop()` waits for running handlers before it gives up on them, in milliseconds. */
  readonly stopGraceMs: number
}

/** The subject of a service's endpoint: `<prefix>.svc.<name>`. */
export const serviceSubject = (prefix: string, name: string) => `${prefix}.svc.${name}`

/**
 * One service served by this node: a NATS micro service (so `$SRV.PING`, `$SRV.INFO` and
 * `$SRV.STATS` answer for it) with one endpoint in the queue group `q`, whose requests go through
 * a {@link WorkGate} to the handler.
 */
export class ServedService implements ServiceHandle {
  readonly subject: string
  private readonly abort = new AbortController()
  private readonly gate: WorkGate
  private readonly info: ServiceRequestInfo
  private requests = 0
  private errors = 0
  private lastError: string | undefined
  private processingMs = 0
  private stopping: Promise<void> | undefined

  private constructor(
    private readonly context: ServiceContext,
    readonly name: string,
    private readonly handler: ServiceHandler<unknown, unknown>,
    private readonly options: ResolvedServiceOptions,
    private readonly service: Service,
    private readonly onStopped: (served: ServedService) => void,
  ) {
    this.subject = serviceSubject(context.prefix, name)
    this.gate = new WorkGate(options.concurrency, options.maxQueued)
    this.info = { service: name, subject: this.subject, signal: this.abort.signal }
  }

  /** Registers the service and resolves once the server routes its requests here. */
  static async start(
    context: ServiceContext,
    name: string,
    handler: ServiceHandler<unknown, unknown>,
    given: ServiceOptions | undefined,
    onStopped: (served: ServedService) => void,
  ): Promise<ServedService> {
    const options = resolveServiceOptions(given)
    let served: ServedService | undefined
    // The JS client of the services protocol types the connection by its own copy of nats-core.
    const service = await new Svcm(context.client as ConstructorParameters<typeof Svcm>[0]).add({
      name,
      version: options.version,
      description: options.description,
      metadata: { ...options.metadata, 'troupe.prefix': context.prefix, 'troupe.node': context.node },
      statsHandler: (endpoint) => Promise.resolve(served?.reportStats(endpoint)),
    })
    served = new ServedService(context, name, handler, options, service, onStopped)
    const self = served
    try {
      service.addEndpoint(name, {
        subject: self.subject,
        handler: (error, msg) => self.receive(error, msg as ServiceMsg),
        metadata: { concurrency: String(options.concurrency), maxQueued: String(options.maxQueued) },
      })
      await context.client.flush()
    } catch (error) {
      await self.stop()
      throw error
    }
    // The service ends by itself when its connection closes.
    void service.stopped.then(() => self.stop())
    return self
  }

  get id(): string {
    return this.service.info().id
  }

  stats(): ServiceCounters {
    return {
      requests: this.requests,
      errors: this.errors,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      inFlight: this.gate.inFlight,
      queued: this.gate.queued,
      processingMs: this.processingMs,
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.close()
    return this.stopping
  }

  private async close(): Promise<void> {
    this.abort.abort(new CancelledError(`service '${this.name}' is stopping on ${this.context.node}`))
    // Draining the subscriptions lets no new request in; then the queue is refused and the
    // handlers still running are awaited (they see `info.signal`).
    await this.service.stop()
    const settled = this.gate.close()
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), this.context.stopGraceMs)
    })
    const outcome = await Promise.race([settled, graceOver])
    clearTimeout(timer)
    if (outcome === 'grace-over') {
      // A handler that ignores its signal must not hold the node's shutdown for ever.
      this.context.logger.warn(
        { service: this.name, inFlight: this.gate.inFlight, stopGraceMs: this.context.stopGraceMs },
        'service stopped with handlers still running (they ignored their signal)',
      )
    }
    this.onStopped(this)
  }

  private receive(error: Error | null, serviceMsg: ServiceMsg): void {
    // The message is the connection's own (its nats-core); the services package types it by the
    // copy of nats-core it bundles, which TypeScript sees as a different type.
    const msg = serviceMsg as unknown as Msg
    if (error !== null) {
      this.context.logger.warn({ err: error, service: this.name }, 'service subscription failed')
      return
    }
    if (this.abort.signal.aborted) {
      this.refuse(msg, `service '${this.name}' is stopping on ${this.context.node}`)
      return
    }
    const accepted = this.gate.offer({
      run: () => this.handle(msg),
      refuse: () => this.refuse(msg, `service '${this.name}' stopped on ${this.context.node}`),
    })
    if (!accepted) {
      const { concurrency, maxQueued } = this.options
      this.refuse(
        msg,
        `busy: ${concurrency} handlers running and ${maxQueued} requests queued (maxQueued) on ${this.context.node}`,
      )
    }
  }

  private async handle(msg: Msg): Promise<void> {
    const started = performance.now()
    try {
      let payload: unknown
      try {
        payload = decodePayload(msg, `the payload of a request to service '${this.name}'`)
      } catch (error) {
        this.replyError(msg, BAD_PAYLOAD_CODE, (error as Error).message)
        return
      }
      let reply: unknown
      try {
        reply = await this.handler(payload, this.info)
      } catch (error) {
        const { code, detail } = describeFailure(error)
        this.context.logger.debug({ err: error, service: this.name }, 'service handler failed')
        this.replyError(msg, code, detail)
        return
      }
      this.reply(msg, reply)
    } finally {
      this.processingMs += performance.now() - started
    }
  }

  private reply(msg: Msg, reply: unknown): void {
    let encoded: ReturnType<typeof encodePayload>
    try {
      encoded = encodePayload(reply, `the reply of service '${this.name}'`, this.maxPayload())
    } catch (error) {
      this.replyError(msg, HANDLER_FAILED_CODE, (error as Error).message)
      return
    }
    this.requests++
    this.publish(msg, encoded.data, encoded.headers === undefined ? undefined : { headers: encoded.headers })
  }

  private refuse(msg: Msg, detail: string): void {
    this.replyError(msg, BUSY_CODE, detail)
  }

  private replyError(msg: Msg, code: number, detail: string): void {
    this.requests++
    this.errors++
    this.lastError = detail
    // Header values are one line: a multi-line message keeps its first line.
    const headers = natsHeaders()
    headers.set(ServiceErrorCodeHeader, String(code))
    headers.set(ServiceErrorHeader, detail.split(/\r?\n/, 1)[0] ?? '')
    this.publish(msg, new Uint8Array(0), { headers })
  }

  private publish(msg: Msg, data: Uint8Array, options: Parameters<Msg['respond']>[1]): void {
    try {
      msg.respond(data, options)
    } catch (error) {
      // The connection is closing: the requester sees its own error (closed, or its timeout).
      this.context.logger.debug({ err: error, service: this.name }, 'service reply could not be sent')
    }
  }

  private maxPayload(): number {
    return this.context.client.info?.max_payload ?? Number.POSITIVE_INFINITY
  }

  /**
   * What `$SRV.STATS` reports for the endpoint. nats.js counts a request when its callback returns
   * and an error only when it throws synchronously, so for async handlers its counts say nothing;
   * Go's micro counts `Error` replies. The counts of this class go into the endpoint's record
   * (which the client reads right after this hook), and the gate's state into `data`.
   */
  private reportStats(endpoint: Endpoint): unknown {
    const record = (endpoint as { stats?: unknown }).stats
    if (typeof record === 'object' && record !== null && 'num_errors' in record) {
      const nanos = Math.round(this.processingMs * 1e6)
      Object.assign(record, {
        num_requests: this.requests,
        num_errors: this.errors,
        last_error: this.lastError,
        processing_time: nanos,
        average_processing_time: this.requests === 0 ? 0 : Math.round(nanos / this.requests),
      })
    }
    return { in_flight: this.gate.inFlight, queued: this.gate.queued }
  }
}

/** The code and description of a handler's failure for its error reply. */
function describeFailure(error: unknown): { code: number; detail: string } {
  if (error instanceof ServiceError) return { code: error.code, detail: error.detail }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    // nats.js's own ServiceError carries a numeric code too.
    return {
      code: Number.isInteger(code) && (code as number) > 0 ? (code as number) : HANDLER_FAILED_CODE,
      detail: error.message,
    }
  }
  return { code: HANDLER_FAILED_CODE, detail: String(error) }
}
