import type { Ref } from './ref.ts'

/**
 * Why an actor stopped. `normal`: its process function returned or it stopped itself; `stopped`:
 * stopped by another; `killed`: killed by another (`system.kill`, Erlang's `exit(Pid, kill)`);
 * `failed`: crashed and not restarted; `node-down`: its node is gone.
 */
export type StopReason = 'normal' | 'stopped' | 'killed' | 'failed' | 'node-down'

/** Why a message became a dead letter. */
export type DeadLetterReason = 'stopped' | 'mailbox-full' | 'unhandled' | 'no-sender'

/** What a supervisor decided for a failed child. */
export type Directive = 'restart' | 'resume' | 'stop' | 'escalate'

/** A hook of the actor lifecycle, named in `hook-failed` events. */
export type HookName = 'init' | 'started' | 'stopped' | 'decide' | 'unhandled' | 'signal'

/**
 * Everything observable that happens in a system, as one union: logs, the dashboard and tests
 * subscribe to it with `system.inspect(listener)`.
 */
export type InspectionEvent =
  | { type: 'spawned'; ref: Ref; parent: Ref | undefined }
  | { type: 'stopped'; ref: Ref; reason: StopReason; error?: unknown }
  | { type: 'failed'; ref: Ref; error: unknown; directive: Directive }
  | { type: 'restarted'; ref: Ref; error: unknown; restarts: number }
  | { type: 'intensity-exceeded'; supervisor: Ref; child: Ref; restarts: number; withinMs: number }
  | { type: 'dead-letter'; to: Ref; message: unknown; sender: Ref | undefined; reason: DeadLetterReason }
  | { type: 'mailbox-high-water'; ref: Ref; size: number }
  | { type: 'hook-failed'; ref: Ref; hook: HookName; error: unknown }
  | { type: 'message'; ref: Ref; message: unknown; sender: Ref | undefined }
  /** A node started with `untrusted` dropped a request of another node (`request` is its kind). */
  | { type: 'refused'; from: string; request: string; subject: string }
  /** A node joined the cluster this node is a member of (this node too, when it joins). */
  | { type: 'member-up'; node: string; incarnation: string; since: Date }
  /** A member left the cluster or was declared down (`reason` says which). */
  | { type: 'member-down'; node: string; incarnation: string; reason: string }

/** Options of `system.inspect`. */
export interface InspectOptions {
  /** Also receive a `message` event for every message an actor handles (costly). @default false */
  messages?: boolean
}
