import type { StopReason } from './inspection.ts'
import type { Ref } from './ref.ts'

/** Delivered once to every watcher of an actor when it stops (`ctx.watch`). */
export class Terminated {
  readonly type = 'terminated'
  constructor(
    readonly ref: Ref,
    readonly reason: StopReason,
    readonly error?: unknown,
  ) {}
}

/**
 * Delivered to an actor with `trapExit: true` when an actor linked to it stops abnormally,
 * instead of failing it (Erlang's `{'EXIT', Pid, Reason}`). Reason `noproc`: the linked actor
 * was already stopped when the link was made.
 */
export class Exit {
  readonly type = 'exit'
  constructor(
    readonly ref: Ref,
    readonly reason: StopReason | 'noproc',
    readonly error?: unknown,
  ) {}
}

/** A lifecycle notice that arrives in an actor's mailbox, ordered with its messages. */
export type Signal = Terminated | Exit

/** Stands in a mailbox's sender slot to mark a signal, so that no per-message check is needed for user messages. */
export const SIGNAL_SENDER: unique symbol = Symbol('troupe.signal')
