import type { Logger } from 'pino'
import type { HandshakeError } from '../errors.ts'
import { LogLimiter, suppressedTail } from '../log-limiter.ts'
import type { ResolvedStrangerLimits } from '../stranger-limits.ts'

/** Most addresses whose failed proofs are remembered; expired ones are forgotten first. */
const MAX_REMEMBERED_ADDRESSES = 10_000

/** Why the gate turned a connection away. */
type Refusal = 'handshakes' | 'address-handshakes' | 'failed-proofs'

/**
 * Decides which new connections of a listener may start a handshake (under the limits on
 * handshakes in progress, globally and per address, and on failed proofs per address), and logs
 * refusals and failed handshakes at most once per address and reason per interval.
 */
export class HandshakeGate {
  private inProgress = 0
  private readonly perAddress = new Map<string, number>()
  private readonly failures = new Map<string, { since: number; count: number }>()
  private readonly logLimiter: LogLimiter

  constructor(
    private readonly limits: ResolvedStrangerLimits,
    private readonly log: Logger,
  ) {
    this.logLimiter = new LogLimiter(limits.refusalLogIntervalMs)
  }

  /**
   * Admits a connection from `address` (an IP address, or `undefined` for a Unix domain socket):
   * returns the function that frees its place once its handshake is over (call it once), or
   * `undefined` if it must be closed at once (the refusal is logged, rate-limited).
   */
  admit(address: string | undefined, remote: string): (() => void) | undefined {
    const now = Date.now()
    const refusal = this.refusalOf(address, now)
    if (refusal !== undefined) {
      this.logRefusal(address, remote, refusal, now)
      return undefined
    }
    this.inProgress++
    if (address !== undefined) this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.inProgress--
      if (address === undefined) return
      const left = (this.perAddress.get(address) ?? 1) - 1
      if (left === 0) this.perAddress.delete(address)
      else this.perAddress.set(address, left)
    }
  }

  /** A handshake from `address` failed: logs it (rate-limited) and counts a failed proof of the cookie. */
  failed(
    address: string | undefined,
    remote: string,
    error: HandshakeError,
    fields: Record<string, unknown> = {},
  ): void {
    if (address !== undefined && error.reason === 'cookie-mismatch' && error.refusedBy === 'local')
      this.countFailedProof(address, Date.now())
    const suppressed = this.logLimiter.admit(`${address ?? remote}|${error.reason}`)
    if (suppressed === undefined) return
    // A peer that hangs up mid-handshake (a port scan, a health check) is no warning.
    this.log[error.reason === 'closed' ? 'debug' : 'warn'](
      { err: error, remote, reason: error.reason, ...fields },
      `refused connection from ${remote}: ${error.detail}${suppressedTail(suppressed)}`,
    )
  }

  private refusalOf(address: string | undefined, now: number): Refusal | undefined {
    if (this.inProgress >= this.limits.maxHandshakes) return 'handshakes'
    if (address === undefined) return undefined
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxHandshakesPerAddress)
      return 'address-handshakes'
    const failures = this.failures.get(address)
    if (failures === undefined) return undefined
    if (now - failures.since >= this.limits.failedProofWindowMs) {
      this.failures.delete(address)
      return undefined
    }
    return failures.count >= this.limits.maxFailedProofs ? 'failed-proofs' : undefined
  }

  private countFailedProof(address: string, now: number): void {
    const known = this.failures.get(address)
    if (known !== undefined && now - known.since < this.limits.failedProofWindowMs) {
      known.count++
      return
    }
    if (known === undefined && this.failures.size >= MAX_REMEMBERED_ADDRESSES) this.forgetExpired(now)
    this.failures.set(address, { since: now, count: 1 })
  }

  private forgetExpired(now: number): void {
    for (const [address, entry] of this.failures)
      if (now - entry.since >= this.limits.failedProofWindowMs) this.failures.delete(address)
    // Still full of fresh ones: make room for the newest rather than grow.
    if (this.failures.size >= MAX_REMEMBERED_ADDRESSES) {
      const oldest = this.failures.keys().next().value
      if (oldest !== undefined) this.failures.delete(oldest)
    }
  }

  private logRefusal(address: string | undefined, remote: string, refusal: Refusal, now: number): void {
    // A flood from many addresses over the global limit is one line per interval, not one per address.
    const key = refusal === 'handshakes' ? refusal : `${address ?? remote}|${refusal}`
    const suppressed = this.logLimiter.admit(key, now)
    if (suppressed === undefined) return
    const { maxHandshakes, maxHandshakesPerAddress, maxFailedProofs, failedProofWindowMs } = this.limits
    const why =
      refusal === 'handshakes'
        ? `${maxHandshakes} connections are in their handshake, the most maxHandshakes allows`
        : refusal === 'address-handshakes'
          ? `${maxHandshakesPerAddress} connections from ${address} are in their handshake, the most maxHandshakesPerAddress allows`
          : `${address} failed to prove the cookie ${maxFailedProofs} times within ${failedProofWindowMs} ms (maxFailedProofs); it is refused until that window ends`
    this.log.warn(
      { remote, reason: refusal },
      `refused connection from ${remote} before its handshake: ${why}${suppressedTail(suppressed)}`,
    )
  }
}
