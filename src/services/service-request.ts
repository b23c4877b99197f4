import {
  ClosedConnectionError,
  DrainingConnectionError,
  type Msg,
  type NatsConnection,
  TimeoutError as NatsTimeoutError,
  RequestError,
} from '@nats-io/nats-core'
import { ServiceError as NatsServiceError } from '@nats-io/services'
import { currentSignal } from '../concurrency/cancel-scope.ts'
import type { ServiceRequestOptions } from '../core/core-extensions.ts'
import { InvalidOptionError } from '../core/errors.ts'
import {
  ServiceBusyError,
  ServiceError,
  ServicePayloadError,
  ServiceTimeoutError,
  ServiceUnavailableError,
} from './errors.ts'
import { decodePayload, encodePayload } from './payload.ts'
import { BUSY_CODE, serviceSubject } from './served-service.ts'
import { checkServiceName, checkTimeout } from './service-options.ts'

/** Where requests go from: the connection, the cluster's subject prefix, the default timeout. */
export interface RequestContext {
  readonly client: NatsConnection
  readonly prefix: string
  readonly requestTimeoutMs: number
}

/**
 * Sends one request to the service `name` (see `ActorSystem.request`): encodes the payload, waits
 * for the reply within the timeout, the given signal and the ambient cancel scope, and turns what
 * NATS says into Troupe's errors.
 */
export async function requestService<Res>(
  context: RequestContext,
  name: string,
  payload: unknown,
  options: ServiceRequestOptions = {},
): Promise<Res> {
  checkServiceName(name)
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const timeout = options.timeout ?? context.requestTimeoutMs
  checkTimeout('timeout', timeout)
  const signals = [options.signal, currentSignal()].filter((s): s is AbortSignal => s !== undefined)
  for (const signal of signals) signal.throwIfAborted()
  const { client } = context
  const encoded = encodePayload(
    payload,
    `the payload of a request to service '${name}'`,
    client.info?.max_payload ?? Number.POSITIVE_INFINITY,
  )
  const pending = client.request(serviceSubject(context.prefix, name), encoded.data, {
    timeout,
    ...(encoded.headers === undefined ? {} : { headers: encoded.headers }),
  })
  let msg: Msg
  try {
    msg = signals.length === 0 ? await pending : await raceAbort(pending, signals)
  } catch (error) {
    throw translate(error, name, timeout)
  }
  const failed = NatsServiceError.toServiceError(msg as Parameters<typeof NatsServiceError.toServiceError>[0])
  if (failed !== null) {
    const ErrorClass = failed.code === BUSY_CODE ? ServiceBusyError : ServiceError
    throw new ErrorClass(failed.message, { code: failed.code, service: name })
  }
  return decodePayload(msg, `the reply of service '${name}'`) as Res
}

/** Settles as `pending` does, or rejects with the reason of the first of `signals` to abort. */
function raceAbort<T>(pending: Promise<T>, signals: readonly AbortSignal[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (event: Event) => {
      cleanup()
      reject((event.target as AbortSignal).reason)
    }
    const cleanup = () => {
      for (const signal of signals) signal.removeEventListener('abort', onAbort)
    }
    for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true })
    pending.then(
      (value) => {
        cleanup()
        resolve(value)
      },
      (error: unknown) => {
        cleanup()
        reject(error)
      },
    )
  })
}

/** What a failed request means, in Troupe's errors; anything else passes unchanged. */
function translate(error: unknown, name: string, timeout: number): unknown {
  if (error instanceof RequestError && error.isNoResponders()) return new ServiceUnavailableError(name)
  if (error instanceof NatsTimeoutError) return new ServiceTimeoutError(name, timeout)
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError)
    return new ServiceUnavailableError(name, 'the connection to NATS is closed', { cause: error })
  if (error instanceof RequestError && error.cause instanceof NatsTimeoutError)
    return new ServiceTimeoutError(name, timeout)
  if (error instanceof Error && /max_payload/.test(error.message))
    return new ServicePayloadError(`a request to service '${name}' is over the server's max_payload`, {
      cause: error,
    })
  return error
}
