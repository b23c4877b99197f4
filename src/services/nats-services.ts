import type { NatsConnection } from '@nats-io/nats-core'
import { defineActor } from '../core/behavior.ts'
import {
  SERVICES,
  type ServiceHandle,
  type ServiceHandler,
  type ServiceOptions,
  type ServiceRequestOptions,
  type ServicesHooks,
} from '../core/core-extensions.ts'
import { InvalidOptionError } from '../core/errors.ts'
import type { ActorSystem } from '../core/system.ts'
import { ServiceUnavailableError } from './errors.ts'
import { ServedService, type ServiceContext } from './served-service.ts'
import { checkPrefix, checkServiceName, checkTimeout } from './service-options.ts'
import { requestService } from './service-request.ts'

/** @default 5000: how long `system.request` waits for a reply when it is given no `timeout`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000

/** @default 5000: how long stopping a service waits for its running handlers. */
export const DEFAULT_STOP_GRACE_MS = 5000

/** Options of {@link attachServices}. */
export interface ServicesOptions {
  /** The node's connection to NATS; the caller owns it (closing the system does not close it). */
  client: NatsConnection
  /**
   * The cluster's subject prefix: a service's endpoint is `<prefix>.svc.<name>`, so clusters with
   * different prefixes share a NATS server without calling each other's services. Letters,
   * digits, `-` and `_`, in tokens joined by `.`.
   * @default 'troupe'
   */
  prefix?: string
  /**
   * How long `system.request` waits for a reply when it is given no `timeout`, in milliseconds.
   * @default 5000
   */
  requestTimeoutMs?: number
  /**
   * How long stopping a service (`handle.stop()`, the system's shutdown) waits for handlers still
   * running after their `info.signal` aborted, in milliseconds; then it stops without them.
   * @default 5000
   */
  stopGraceMs?: number
}

/**
 * Gives a system `system.service` and `system.request` over a NATS connection: services are NATS
 * micro services (`$SRV.PING`, `$SRV.INFO`, `$SRV.STATS`), which the `@nats-io/services` client
 * and `nats micro` discover and call. The system's shutdown stops its services.
 *
 * @example
 * ```ts
 * const client = await connect({ servers: 'nats://127.0.0.1:4222' })
 * const system = await start()
 * attachServices(system, { client, prefix: 'shop' })
 * await system.service('echo', (payload) => payload)
 * ```
 */
export function attachServices(system: ActorSystem, options: ServicesOptions): ServicesHooks {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const { client } = options
  if (typeof client !== 'object' || client === null || typeof client.request !== 'function')
    throw new InvalidOptionError('client', 'expected a NatsConnection (connect from @nats-io/transport-node)')
  const prefix = options.prefix ?? 'troupe'
  checkPrefix(prefix)
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  checkTimeout('requestTimeoutMs', requestTimeoutMs)
  const stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS
  checkTimeout('stopGraceMs', stopGraceMs)
  if (system.extensions.has(SERVICES))
    throw new InvalidOptionError('system', `services are already attached to ${system.node}`)
  const services = new NatsServices(
    { client, prefix, node: system.node, logger: system.logger, stopGraceMs },
    requestTimeoutMs,
  )
  // Lives as long as the system: its stop (at shutdown) stops every service of this node.
  system.spawn(
    defineActor<never>({
      receive: (_state, _message, ctx) => ctx.unhandled(),
      stopped: () => services.close(),
    }),
  )
  system.extensions.set(SERVICES, services)
  return services
}

/** The services of one node, and its requests. */
class NatsServices implements ServicesHooks {
  private readonly served = new Set<ServedService>()
  private closed = false

  constructor(
    private readonly context: ServiceContext,
    private readonly requestTimeoutMs: number,
  ) {}

  async service<Req, Res>(
    name: string,
    handler: ServiceHandler<Req, Res>,
    options?: ServiceOptions,
  ): Promise<ServiceHandle> {
    checkServiceName(name)
    if (typeof handler !== 'function')
      throw new InvalidOptionError('handler', `expected a function, got ${typeof handler}`)
    this.checkOpen(name)
    const served = await ServedService.start(
      this.context,
      name,
      handler as ServiceHandler<unknown, unknown>,
      options,
      (stopped) => this.served.delete(stopped),
    )
    this.served.add(served)
    if (this.closed) {
      // The node shut down while the service registered.
      await served.stop()
      this.checkOpen(name)
    }
    return served
  }

  request<Res>(name: string, payload: unknown, options?: ServiceRequestOptions): Promise<Res> {
    this.checkOpen(name)
    const { client, prefix } = this.context
    return requestService<Res>(
      { client, prefix, requestTimeoutMs: this.requestTimeoutMs },
      name,
      payload,
      options,
    )
  }

  /** Stops every service of this node; later calls fail. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.served].map((served) => served.stop()))
  }

  private checkOpen(name: string): void {
    if (this.closed)
      throw new ServiceUnavailableError(name, `this node (${this.context.node}) has shut down its services`)
  }
}
