import { Cell } from './cell/cell.ts'
import type { StopReason } from './inspection.ts'
import type { LocalActorHandle, Ref, RefBase } from './ref.ts'
import type { Signal, Terminated } from './signals.ts'

/**
 * What the core delivers to, whatever the target is (protoactor-go's `Process`): a user message,
 * a system message, a stop.
 */
export interface Delivery {
  /** A user message, queued behind the others; a local target isolates it (the `messages` option). */
  enqueue(message: unknown, sender: unknown): void
  /** A system message (`Terminated`, `Exit`): it overtakes user messages. */
  enqueueSignal(signal: Signal): void
  /** Stops the target, children first; `error` says why when it failed. */
  stopWith(reason: StopReason, error?: unknown): void
}

/** What the layers above the core (remote, children) may do with a live actor of this node. */
export interface LocalActor extends Ref, Delivery, LocalActorHandle {
  /** It is stopping or has stopped: what is sent to it now is a dead letter. */
  readonly stopping: boolean
  readonly stopped: boolean
  /** Queues a message nobody else holds, such as one just decoded from the wire, without isolating it. */
  enqueueOwned(message: unknown, sender: unknown): void
  /** Records a link on this side only: made from another node. */
  acceptLink(ref: RefBase): void
  /** Drops a link on this side only: the other node cut it. */
  forgetLink(ref: Ref): void
  /**
   * Stops it with `error` as its reason, bypassing its supervisor: the asks waiting in its mailbox
   * reject with `error`, and its watchers get `Terminated` with reason `failed`.
   */
  stopForGood(error: unknown): void
  /**
   * Registers a function told once when it stops (at once if it has); what it returns unregisters
   * it, for a watcher that goes before the actor does.
   */
  onTerminated(listener: (terminated: Terminated) => void): () => void
}

/** The actor of this node that `ref` is, or `undefined` for any other ref (remote, dead, an asker). */
export function localActor(ref: unknown): LocalActor | undefined {
  return ref instanceof Cell ? ref : undefined
}
