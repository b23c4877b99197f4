import type { Logger } from 'pino'
import type { AskRef } from '../ask.ts'
import type { StopReason } from '../inspection.ts'
import type { RefBase } from '../ref.ts'
import { SCHEDULED } from '../scheduler.ts'
import type { Terminated } from '../signals.ts'
import type { LifecycleCell } from './lifecycle-cell.ts'

// An actor's status, in the order it moves through (a restart goes back from SUSPENDED to RUNNING).
export const RUNNING = 0
/** `ctx.stop()` was called while a handler runs: stop once it settles. */
export const STOP_PENDING = 1
/** Failed and waiting for its supervisor, restarting, or backing off. */
export const SUSPENDED = 2
export const STOPPING = 3
export const STOPPED = 4

// An actor's status, busy and scheduled bits, why it stopped and its incarnation share one small
// integer (`flags`): a field costs 8 bytes in every actor, and `flags & RUNNABLE` is the one check
// a delivery makes.
export const STATUS_MASK = 0b111
export const BUSY = 0b1000
/** Whether a delivery must schedule the actor: running, not busy, not yet scheduled. */
export const RUNNABLE = STATUS_MASK | BUSY | SCHEDULED
export const EXIT_SHIFT = 5
export const EXIT_MASK = 0b111 << EXIT_SHIFT
export const exitReasons: readonly (StopReason | undefined)[] = [
  undefined,
  'normal',
  'stopped',
  'failed',
  'node-down',
  'killed',
]
export const INCARNATION_SHIFT = 8
/** Incarnations count modulo 2^22 (the flags stay a small integer): a result 4M incarnations late is the only one taken for current. */
export const FLAGS_LIMIT = 2 ** 30

/** Who is told when an actor stops: another actor (a `Terminated` signal) or a function. */
export type Watcher = LifecycleCell | ((terminated: Terminated) => void)

/** A `send` or `ask` waiting for room in a bounded mailbox under `backpressure`. */
export interface RoomWaiter {
  message: unknown
  sender: AskRef | undefined
  resolve: () => void
  reject: (error: unknown) => void
}

/** How a `send` is told that its message was queued or refused. */
export interface Settle {
  resolve: () => void
  reject: (error: unknown) => void
}

/** The rarely used parts of an actor, allocated on first use to keep idle actors small. */
export class CellExtras {
  watchers: Set<Watcher> | null = null
  /** Actors this one watches: cells of this node, refs of other nodes. */
  watching: Set<LifecycleCell | RefBase> | null = null
  links: Set<LifecycleCell | RefBase> | null = null
  restartLog: number[] | null = null
  roomWaiters: RoomWaiter[] | null = null
  controller: AbortController | null = null
  logger: Logger | null = null
  pendingChildren = 0
  afterChildren: (() => void) | null = null
  stopWaiters: (() => void)[] | null = null
  highWaterHit = false
  exitError: unknown = undefined
}
