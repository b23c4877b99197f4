import { TimeoutError, TroupeError } from '../concurrency/errors.ts'

/** Options of {@link ServiceError}. */
export interface ServiceErrorOptions {
  /**
   * The error code of the NATS services protocol (`Nats-Service-Error-Code`), HTTP-like.
   * @default 500
   */
  code?: number
  /** The service that replied with the error, set on the requester's side. */
  service?: string
  cause?: unknown
}

/**
 * A service replied with an error (`Nats-Service-Error` / `Nats-Service-Error-Code` headers): its
 * handler threw, or it refused the request. A handler may throw one to choose the code.
 *
 * @example
 * ```ts
 * await system.service('users', (id: string) => {
 *   throw new ServiceError(`no user ${id}`, { code: 404 })
 * })
 * ```
 */
export class ServiceError extends TroupeError {
  /** The error code (500 for a handler's plain throw, 503 busy, 400 a payload it could not read). */
  readonly code: number
  /** The description the service gave, without the service's name. */
  readonly detail: string
  /** The service that replied, on the requester's side. */
  readonly service: string | undefined

  constructor(detail: string, options: ServiceErrorOptions = {}) {
    const code = options.code ?? 500
    const message =
      options.service === undefined ? detail : `service '${options.service}' failed (${code}): ${detail}`
    super(message, 'cause' in options ? { cause: options.cause } : undefined)
    this.code = code
    this.detail = detail
    this.service = options.service
  }
}

/** The service had every handler busy and its queue full (`maxQueued`) on the node that got the request. */
export class ServiceBusyError extends ServiceError {}

/** No node serves the service (NATS reported no responders), or the connection to NATS is closed. */
export class ServiceUnavailableError extends TroupeError {
  constructor(
    readonly service: string,
    detail = 'no node serves it',
    options?: ErrorOptions,
  ) {
    super(`service '${service}' is unavailable: ${detail}`, options)
  }
}

/** A service request got no reply within its timeout. A {@link TimeoutError}, so deadline checks see it. */
export class ServiceTimeoutError extends TimeoutError {
  constructor(
    readonly service: string,
    ms: number,
  ) {
    super(ms, `request to service '${service}' timed out after ${ms} ms`)
  }
}

/** A payload or reply cannot travel: it cannot be encoded as JSON, or it is over the server's `max_payload`. */
export class ServicePayloadError extends TroupeError {}
