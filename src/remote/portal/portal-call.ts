import { InvalidOptionError } from '../../core/errors.ts'
import type { FunctionRef } from '../../core/function-ref.ts'

/** How many items remote work lets either side send ahead of the other's reading by default. */
export const DEFAULT_STREAM_WINDOW = 1024

/** The options any portal call may take, and a portal's defaults for them. */
interface CallOptions {
  timeout?: number | undefined
  signal?: AbortSignal | undefined
  window?: number | undefined
}

/** One portal call, checked: the function, its arguments, and its options over the portal's. */
export interface PortalCall {
  readonly fn: FunctionRef
  readonly args: unknown[]
  readonly timeout: number | undefined
  /** The call's signal, else the portal's; the ambient scope's is looked up by the caller. */
  readonly signal: AbortSignal | undefined
  readonly window: number
}

/**
 * Checks what `portal.<method>(fn, args, options)` was given and merges its options over the
 * portal's `defaults`; throws `InvalidOptionError` naming what is wrong (a function that is no
 * exposed reference, arguments that are no array, as a spread `run(fn, a, b)` of old would be).
 */
export function portalCall(
  method: 'run' | 'stream' | 'open',
  fn: unknown,
  call: readonly unknown[],
  defaults: CallOptions,
): PortalCall {
  if (!isFunctionRef(fn))
    throw new InvalidOptionError('fn', 'expected a reference returned by expose(import.meta.url, { … })')
  const [args = [], options = {}] = call
  if (!Array.isArray(args) || call.length > 2)
    throw new InvalidOptionError(
      'args',
      `portal.${method} takes the arguments of '${fn.name}' as one array, then options: ${method}(fn, [a, b], options); got ${shown(call)} after the function`,
    )
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidOptionError('options', `expected an object of options, got ${shown([options])}`)
  const given = options as CallOptions
  const timeout = given.timeout ?? defaults.timeout
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout <= 2 ** 31 - 1))
    throw new InvalidOptionError('timeout', `expected milliseconds from 1 to 2^31-1, got ${String(timeout)}`)
  const signal = given.signal ?? defaults.signal
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new InvalidOptionError('signal', `expected an AbortSignal, got ${shown([signal])}`)
  const window = given.window ?? defaults.window ?? DEFAULT_STREAM_WINDOW
  if (!Number.isSafeInteger(window) || window < 1)
    throw new InvalidOptionError('window', `expected a positive integer, got ${String(window)}`)
  return { fn, args, timeout, signal, window }
}

function isFunctionRef(fn: unknown): fn is FunctionRef {
  return (
    typeof fn === 'object' &&
    fn !== null &&
    typeof (fn as FunctionRef).module === 'string' &&
    typeof (fn as FunctionRef).name === 'string'
  )
}

/** What the caller passed, briefly: `a string and a number`. */
function shown(values: readonly unknown[]): string {
  return values.length === 0 ? 'nothing' : values.map(kindOf).join(' and ')
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
