import { type Logger, pino } from 'pino'
import { InvalidOptionError } from '../core/errors.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/frames.ts'
import { cookieKey } from './cookie-key.ts'
import { nameProblem } from './handshake-messages.ts'
import { type ResolvedStrangerLimits, resolveStrangerLimits } from './stranger-limits.ts'
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
  /** What strangers may cost a listener. */
  readonly strangers: ResolvedStrangerLimits
  // Frame authentication, the hello's deadline, the bound of what is queued.
  /** `undefined`: decided per connection by its address (see `TransportOptions.frameAuth`). */
  readonly frameAuth: boolean | undefined
  readonly helloTimeoutMs: number
  readonly maxQueuedBytes: number
}

// ---- the cookie's strength: one rule for the transport options, start(), the CLI and cookie files ----

/**
 * Fewest characters a cookie has. The handshake proves the cookie with an HMAC over random
 * challenges: whoever sees one exchange can guess the cookie offline, as fast as it can hash,
 * where throttling does not reach. Eight characters (the old rule of the CLI) fall to that in
 * hours; sixteen are out of reach for a random cookie and costly for a typed one. The cookie a
 * node makes for itself has 32.
 */
export const MIN_COOKIE_LENGTH = 16

/** What the cookie rule asks for, in the words every refusal uses. */
export const COOKIE_RULE = `expected a secret of at least ${MIN_COOKIE_LENGTH} characters shared by the nodes`

/** Throws `InvalidOptionError` for a cookie that breaks the rule; `where` names a file it came from. */
export function checkCookie(cookie: unknown, where?: string): asserts cookie is string {
  if (typeof cookie !== 'string' || cookie.length < MIN_COOKIE_LENGTH)
    throw new InvalidOptionError('cookie', where === undefined ? COOKIE_RULE : `${COOKIE_RULE} (in ${where})`)
}

// ---- end of the cookie's strength ----

/** The default of `TransportOptions.helloTimeoutMs`. */
export const DEFAULT_HELLO_TIMEOUT_MS = 1000

/** The default of `TransportOptions.maxQueuedBytes`: 64 MiB, past a loop of a million small tells. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024

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
  checkCookie(options.cookie)
  // The stretch runs once per cookie, here, as the transport is made, not at its first connection.
  cookieKey(options.cookie)
  return {
    node: options.node,
    incarnation: options.incarnation,
    cookie: options.cookie,
    maxFrameBytes: positive('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 0xffffffff),
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, 5000),
    closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, 2000),
    logger: options.logger ?? pino({ level: 'silent' }),
    strangers: resolveStrangerLimits(options),
    frameAuth: checkedFrameAuth(options.frameAuth),
    helloTimeoutMs: positive('helloTimeoutMs', options.helloTimeoutMs, DEFAULT_HELLO_TIMEOUT_MS),
    maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes, DEFAULT_MAX_QUEUED_BYTES, 2 ** 52),
  }
}

function checkedFrameAuth(value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new InvalidOptionError('frameAuth', `expected true or false, got ${String(value)}`)
}
