import { InvalidOptionError } from '../core/errors.ts'

/**
 * What strangers may cost a listening node: connections still in their handshake, failed proofs
 * of the cookie, and log lines about them. A connection over a limit is closed at once, before any
 * handshake work; the refusals are logged at most once per address and reason per
 * `refusalLogIntervalMs`, with a count of the ones held back. Per-address limits count by IP
 * address (every port of one host together); a Unix domain socket has no addresses and only the
 * global limit applies to it.
 */
export interface StrangerLimits {
  /**
   * Most connections in their handshake at once, from all addresses together (each holds a file
   * descriptor and a timer until it proves the cookie or times out).
   * @default 256
   */
  maxHandshakes?: number
  /**
   * Most connections in their handshake at once from one IP address.
   * @default 16
   */
  maxHandshakesPerAddress?: number
  /**
   * Failed proofs of the cookie from one IP address within `failedProofWindowMs` after which its
   * connections are refused until that window ends: online guessing of the cookie gets this many
   * guesses per window.
   * @default 10
   */
  maxFailedProofs?: number
  /**
   * The window of `maxFailedProofs`, in milliseconds, counted from the first failed proof in it.
   * @default 60000
   */
  failedProofWindowMs?: number
  /**
   * Least time between two log lines about refused connections from the same address for the same
   * reason, in milliseconds; the next line says how many were held back.
   * @default 10000
   */
  refusalLogIntervalMs?: number
}

/** {@link StrangerLimits} checked, with their defaults filled in. */
export type ResolvedStrangerLimits = Readonly<Required<StrangerLimits>>

const defaults: ResolvedStrangerLimits = {
  maxHandshakes: 256,
  maxHandshakesPerAddress: 16,
  maxFailedProofs: 10,
  failedProofWindowMs: 60_000,
  refusalLogIntervalMs: 10_000,
}

/** The names of the stranger limits, for passing them on from a wider set of options. */
export const strangerLimitNames = Object.keys(defaults) as (keyof StrangerLimits)[]

/** Checks the stranger limits of `options` (`InvalidOptionError` naming a bad one) and fills in defaults. */
export function resolveStrangerLimits(options: StrangerLimits): ResolvedStrangerLimits {
  const resolved: Record<keyof StrangerLimits, number> = { ...defaults }
  for (const name of strangerLimitNames) {
    const value = options[name]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1)
      throw new InvalidOptionError(name, `expected an integer from 1 to ${2 ** 31 - 1}, got ${String(value)}`)
    resolved[name] = value
  }
  return resolved
}

/** The stranger limits given in `options`, and no other option: what a node passes to its transport. */
export function strangerLimitsOf(options: StrangerLimits): StrangerLimits {
  const picked: StrangerLimits = {}
  for (const name of strangerLimitNames) if (options[name] !== undefined) picked[name] = options[name]
  return picked
}
