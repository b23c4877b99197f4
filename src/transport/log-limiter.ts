/** Most keys a limiter remembers: a flood from many addresses must not grow it without bound. */
const MAX_KEYS = 10_000

/**
 * Lets one log line through per key (a sender and a reason) per interval, and counts the ones it
 * held back, so that a flood of refusals costs a line per interval rather than a line per attempt.
 */
export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>()

  constructor(private readonly intervalMs: number) {}

  /**
   * Whether a line for `key` may be logged now: `undefined` if not (it is counted), else how many
   * were held back since the last line for `key`.
   */
  admit(key: string, now = Date.now()): number | undefined {
    const last = this.last.get(key)
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.suppressed++
      return undefined
    }
    if (last === undefined && this.last.size >= MAX_KEYS) this.forgetBefore(now - this.intervalMs)
    this.last.set(key, { at: now, suppressed: 0 })
    return last?.suppressed ?? 0
  }

  private forgetBefore(time: number): void {
    for (const [key, entry] of this.last) if (entry.at < time) this.last.delete(key)
    // All recent: forget them all rather than grow.
    if (this.last.size >= MAX_KEYS) this.last.clear()
  }
}

/** The tail a rate-limited line gets: how many like it were held back since the last one. */
export function suppressedTail(suppressed: number): string {
  return suppressed === 0 ? '' : ` (and ${suppressed} more since)`
}
