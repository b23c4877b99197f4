/**
 * Services over NATS: `system.service(name, handler)` serves a NATS micro service on
 * `<prefix>.svc.<name>`, load-balanced by its queue group over every node that serves the name;
 * `system.request(name, payload)` calls it from any node. Payloads are JSON (see `payload.ts`).
 *
 * @packageDocumentation
 */
export type {
  ServiceCounters,
  ServiceHandle,
  ServiceHandler,
  ServiceOptions,
  ServiceRequestInfo,
  ServiceRequestOptions,
} from '../core/core-extensions.ts'
export type { ServiceErrorOptions } from './errors.ts'
export {
  ServiceBusyError,
  ServiceError,
  ServicePayloadError,
  ServiceTimeoutError,
  ServiceUnavailableError,
} from './errors.ts'
export type { ServicesOptions } from './nats-services.ts'
export { attachServices, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STOP_GRACE_MS } from './nats-services.ts'
export { DEFAULT_CONCURRENCY, DEFAULT_MAX_QUEUED, DEFAULT_VERSION } from './service-options.ts'
