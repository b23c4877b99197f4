import { type Logger, pino } from 'pino'
import { InvalidOptionError } from '../core/errors.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/frames.ts'
import { nameProblem } from './handshake-messages.ts'
import type { TransportOptions } from './transport.ts'

/** {@link TransportOptions} checked, with their defaults filled in. */
export interface ResolvedTransportOptions {
  readonly node: string
  readonly incarnation: string
  readonly cookie: string
  readonly maxFrameBytes: number
  readonly handshakeTimeoutMs: number
  readonly closeTimeoutMs: number
  readonly logger: Logger
  // Frame authentication, the hello's deadline, the bound of what is queued.
  /** `undefined`: decided per connection by its address (see `TransportOptions.frameAuth`). */
  readonly frameAuth: boolean | undefined
  readonly helloTimeoutMs: number
  readonly maxQueuedBytes: number
}

/** The default of `TransportOptions.helloTimeoutMs`. */
export const DEFAULT_HELLO_TIMEOUT_MS = 1000

/** The default of `TransportOptions.maxQueuedBytes`: 8 MiB. */
export const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024

function positive(name: string, value: unknown, fallback: number, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw new InvalidOptionError(name, `expected an integer from 1 to ${max}, got ${String(value)}`)
  return value
}

/**
 * Checks the options every transport shares and fills in their defaults; throws
 * `InvalidOptionError` naming the first bad option.
 */
export function resolveTransportOptions(options: TransportOptions): ResolvedTransportOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  for (const name of ['node', 'incarnation'] as const) {
    const problem = nameProblem(options[name])
    if (problem !== undefined) throw new InvalidOptionError(name, problem)
  }
  if (typeof options.cookie !== 'string' || options.cookie.length === 0)
    throw new InvalidOptionError('cookie', 'expected a non-empty string shared by the nodes')
  return {
    node: options.node,
    incarnation: options.incarnation,
    cookie: options.cookie,
    maxFrameBytes: positive('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 0xffffffff),
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 5000),
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, 2000),
    logger: options.logger ?? pino({ level: 'silent' }),
    frameAuth: checkedFrameAuth(options.frameAuth),
    helloTimeoutMs: positive('helloTimeoutMs', options.helloTimeoutMs, DEFAULT_HELLO_TIMEOUT_MS),
    maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES, 2 ** 52),
  }
}

function checkedFrameAuth(value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new InvalidOptionError('frameAuth', `expected true or false, got ${String(value)}`)
}
