import type { Logger } from 'pino'
import type { Behavior, SpawnOptions } from './behavior.ts'
import type { Ref } from './ref.ts'
import type { Signal } from './signals.ts'
import type { ActorSystem } from './system.ts'

/** What an actor's code sees of itself and its place in the system. */
export interface ActorContext<M = unknown> {
  /** This actor's ref. */
  readonly self: Ref<M>
  /** The supervising parent; `undefined` for the system's guardians. */
  readonly parent: Ref | undefined
  readonly system: ActorSystem
  /** Who sent the message being handled (the asker for an ask), if anyone. */
  readonly sender: Ref | undefined
  /** Aborts when this incarnation of the actor ends (stop or restart): pass it to cancellable work. */
  readonly signal: AbortSignal
  /** A pino logger whose lines carry this actor's path. */
  readonly log: Logger
  /** Answers the message being handled: resolves the sender's `ask`, or tells the sender. */
  reply(value: unknown): void
  /**
   * Marks the message being handled as not understood: runs the `unhandled` hook if there is one,
   * then sends the message to dead letters with reason `unhandled` (an asker gets `UnhandledMessageError`).
   */
  unhandled(): void
  /** Starts a child supervised by this actor. */
  spawn<C, P = undefined>(behavior: Behavior<C, P>, options?: SpawnOptions<P>): Ref<C>
  /** Stops a child, or this actor when no ref is given, after the current message. */
  stop(ref?: Ref): void
  /** Delivers `Terminated` once when `ref` stops (at once if it has already stopped). */
  watch(ref: Ref): void
  /** Stops watching `ref`. */
  unwatch(ref: Ref): void
  /** Ties lifetimes both ways: when either fails, the other fails too, unless it traps exits. */
  link(ref: Ref): void
  /** Unties the lifetimes that `link` tied. */
  unlink(ref: Ref): void
  /** The live children, in the order they were spawned. */
  children(): Ref[]
}

/** Options of {@link ProcessContext.receive}. */
export interface ReceiveOptions {
  /** Milliseconds to wait for a matching message before throwing `ReceiveTimeoutError`. */
  timeout?: number
}

/** The `self` of a process-style actor: its context plus selective receive. */
export interface ProcessContext<M = unknown> extends ActorContext<M> {
  /**
   * Takes the first queued message that `match` accepts, leaving the others in order, or waits
   * for one (Erlang's selective receive). Without `match` it takes the first message. Throws
   * `ReceiveTimeoutError` at the deadline. Signals (`Terminated`, `Exit`) arrive here too.
   */
  receive<T extends M | Signal>(
    match: (message: M | Signal) => message is T,
    options?: ReceiveOptions,
  ): Promise<T>
  /** As above, with a `match` that is no type guard (or none): resolves with a message or a signal. */
  receive(match?: (message: M | Signal) => boolean, options?: ReceiveOptions): Promise<M | Signal>
}
