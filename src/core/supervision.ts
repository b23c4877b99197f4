import { InvalidOptionError } from './errors.ts'
import type { Directive } from './inspection.ts'
import type { Ref } from './ref.ts'

/** How a supervisor applies a restart: to the failed child, to all, or to it and those started after it. */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one'

/** Exponential delay before a restart: `minMs * factor^(n-1)` for the n-th recent restart, at most `maxMs`. */
export interface Backoff {
  minMs: number
  maxMs: number
  /** @default 2 */
  factor?: number
}

/** How an actor supervises its children. */
export interface SupervisionOptions {
  /** @default 'one-for-one' */
  strategy?: Strategy
  /**
   * Chooses what to do with a child that failed: `restart` (fresh state, mailbox kept; the
   * failing message is not redelivered), `resume` (keep state, go on with the next message),
   * `stop`, or `escalate` (this supervisor fails with the child's error).
   * @default () => 'restart'
   */
  decide?: (error: unknown, child: Ref) => Directive
  /**
   * Restart intensity: at most this many restarts within `withinMs`; one more and the
   * supervisor gives up and fails itself (a child of the system stops instead).
   * @default 3
   */
  maxRestarts?: number
  /** @default 5000 */
  withinMs?: number
  /** Delay before each restart; none by default. */
  backoff?: Backoff
}

/** Supervision options with every default filled in. */
export interface Supervision {
  readonly strategy: Strategy
  readonly decide: (error: unknown, child: Ref) => Directive
  readonly maxRestarts: number
  readonly withinMs: number
  readonly backoff: Required<Backoff> | undefined
}

const restartAlways = (): Directive => 'restart'

export const defaultSupervision: Supervision = {
  strategy: 'one-for-one',
  decide: restartAlways,
  maxRestarts: 3,
  withinMs: 5000,
  backoff: undefined,
}

const strategies: readonly Strategy[] = ['one-for-one', 'one-for-all', 'rest-for-one']

export function resolveSupervision(options: SupervisionOptions | undefined): Supervision {
  if (options === undefined) return defaultSupervision
  const {
    strategy = 'one-for-one',
    decide = restartAlways,
    maxRestarts = 3,
    withinMs = 5000,
    backoff,
  } = options
  if (!strategies.includes(strategy)) {
    throw new InvalidOptionError(
      'supervision.strategy',
      `expected one of ${strategies.join(', ')}, got ${String(strategy)}`,
    )
  }
  if (typeof decide !== 'function') throw new InvalidOptionError('supervision.decide', 'expected a function')
  nonNegative('supervision.maxRestarts', maxRestarts)
  nonNegative('supervision.withinMs', withinMs)
  if (backoff !== undefined) {
    nonNegative('supervision.backoff.minMs', backoff.minMs)
    nonNegative('supervision.backoff.maxMs', backoff.maxMs)
    if (backoff.factor !== undefined && !(backoff.factor >= 1)) {
      throw new InvalidOptionError('supervision.backoff.factor', 'expected a number >= 1')
    }
  }
  return {
    strategy,
    decide,
    maxRestarts,
    withinMs,
    backoff: backoff && { minMs: backoff.minMs, maxMs: backoff.maxMs, factor: backoff.factor ?? 2 },
  }
}

function nonNegative(option: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0))
    throw new InvalidOptionError(option, `expected a number >= 0, got ${String(value)}`)
}

/**
 * Records a restart at `now` in `log` (restart times within the window) and says whether the
 * intensity still allows it.
 */
export function allowRestart(log: number[], supervision: Supervision, now: number): boolean {
  const from = now - supervision.withinMs
  let keep = 0
  while (keep < log.length && log[keep]! < from) keep++
  if (keep > 0) log.splice(0, keep)
  log.push(now)
  return log.length <= supervision.maxRestarts
}

/** Milliseconds to wait before the restart, given how many restarts are in the window. */
export function backoffDelay(supervision: Supervision, recentRestarts: number): number {
  const b = supervision.backoff
  if (b === undefined) return 0
  return Math.min(b.maxMs, b.minMs * b.factor ** Math.max(0, recentRestarts - 1))
}
