import type { ActorDefinition, Behavior, ProcessFunction } from './behavior.ts'
import { InvalidOptionError } from './errors.ts'
import type { MailboxOptions, OverflowPolicy } from './mailbox.ts'
import { isAsyncFunction } from './running-actor.ts'
import { resolveSupervision, type Supervision } from './supervision.ts'

/** Resolved mailbox bounds of one actor. */
export interface Limits {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  readonly highWater: number
}

/** Everything a spawn needs from a behavior, validated once and shared by every actor of it. */
export type Template =
  | {
      readonly kind: 'handler'
      readonly definition: ActorDefinition<unknown, unknown, unknown>
      /** Whether `receive` is an `async function`, whose awaits must keep `currentActor()`. */
      readonly asyncReceive: boolean
      readonly limits: Limits
      readonly supervision: Supervision
      readonly trapExit: boolean
    }
  | {
      readonly kind: 'process'
      readonly run: ProcessFunction<unknown, unknown>
      readonly limits: Limits
      readonly supervision: Supervision
      readonly trapExit: boolean
    }

const overflowPolicies: readonly OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'fail', 'backpressure']
const cache = new WeakMap<object, Template>()

export const unboundedLimits: Limits = {
  capacity: Number.POSITIVE_INFINITY,
  overflow: 'fail',
  highWater: 10_000,
}

export function resolveLimits(options: MailboxOptions | undefined, option = 'mailbox'): Limits {
  if (options === undefined) return unboundedLimits
  const { capacity = Number.POSITIVE_INFINITY, overflow = 'fail', highWater = 10_000 } = options
  if (typeof capacity !== 'number' || !(capacity >= 1)) {
    throw new InvalidOptionError(`${option}.capacity`, `expected a number >= 1, got ${String(capacity)}`)
  }
  if (!overflowPolicies.includes(overflow)) {
    throw new InvalidOptionError(
      `${option}.overflow`,
      `expected one of ${overflowPolicies.join(', ')}, got ${String(overflow)}`,
    )
  }
  if (typeof highWater !== 'number' || !(highWater >= 1)) {
    throw new InvalidOptionError(`${option}.highWater`, `expected a number >= 1, got ${String(highWater)}`)
  }
  return { capacity, overflow, highWater }
}

/** Validates a behavior (once per behavior object) and resolves its defaults. */
export function templateOf(
  behavior: Behavior<unknown, unknown>,
  mailbox: MailboxOptions | undefined,
): Template {
  const cached = mailbox === undefined ? cache.get(behavior) : undefined
  if (cached !== undefined) return cached
  const template = resolve(behavior, mailbox)
  if (mailbox === undefined) cache.set(behavior, template)
  return template
}

function resolve(behavior: Behavior<unknown, unknown>, mailbox: MailboxOptions | undefined): Template {
  if (typeof behavior === 'function') {
    return {
      kind: 'process',
      run: behavior,
      limits: resolveLimits(mailbox),
      supervision: resolveSupervision(undefined),
      trapExit: false,
    }
  }
  if (behavior === null || typeof behavior !== 'object') {
    throw new InvalidOptionError(
      'behavior',
      'expected defineActor(...), defineProcess(...) or an async function',
    )
  }
  if (behavior.kind === 'process') {
    const o = behavior.options
    return {
      kind: 'process',
      run: behavior.run,
      limits: resolveLimits(mailbox ?? o.mailbox),
      supervision: resolveSupervision(o.supervision),
      trapExit: o.trapExit === true,
    }
  }
  if (behavior.kind !== 'handler') {
    throw new InvalidOptionError(
      'behavior',
      'expected defineActor(...), defineProcess(...) or an async function',
    )
  }
  const d = behavior.definition as ActorDefinition<unknown, unknown, unknown>
  if (typeof d.receive !== 'function') throw new InvalidOptionError('receive', 'expected a function')
  for (const hook of ['init', 'started', 'stopped', 'signal', 'unhandled', 'snapshot'] as const) {
    if (d[hook] !== undefined && typeof d[hook] !== 'function')
      throw new InvalidOptionError(hook, 'expected a function')
  }
  return {
    kind: 'handler',
    definition: d,
    asyncReceive: isAsyncFunction(d.receive),
    limits: resolveLimits(mailbox ?? d.mailbox),
    supervision: resolveSupervision(d.supervision),
    trapExit: d.trapExit === true,
  }
}
