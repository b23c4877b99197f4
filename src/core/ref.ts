import type { StopReason } from './inspection.ts'

/** Options of {@link Ref.ask}. */
export interface AskOptions {
  /**
   * Milliseconds to wait for the reply before rejecting with `AskTimeoutError`.
   * @default the system's `askTimeoutMs` (5000)
   */
  timeout?: number
  /** Rejects the ask with the signal's reason when it aborts. Defaults to the ambient cancel scope. */
  signal?: AbortSignal
}

/**
 * A typed reference to an actor: a value that can be sent in messages, stored and compared,
 * and used from anywhere. Messages sent through one ref to one actor arrive in the order sent.
 *
 * @example
 * ```ts
 * const counter: Ref<CounterMsg> = system.spawn(Counter)
 * counter.tell({ type: 'inc', by: 2 })
 * const n = await counter.ask<number>({ type: 'get' }, { timeout: 1_000 })
 * ```
 */
export interface Ref<M = unknown> {
  /** `troupe://<node>/<path>`, unique for the actor's lifetime. */
  readonly address: string
  /** The actor's place in its supervision tree, such as `/user/orders/o-17`. */
  readonly path: string
  /** The last segment of the path: the name given at spawn, or a generated `$…` one. */
  readonly name: string
  /**
   * Sends a message without waiting. Never blocks and never throws for a stopped target:
   * undeliverable messages go to dead letters. `sender` is who `ctx.reply` answers.
   */
  tell(message: M, sender?: Ref): void
  /**
   * Sends a message and waits for the receiver's `ctx.reply`. Rejects with `AskTimeoutError`,
   * `ActorStoppedError`, `MailboxFullError`, the receiver's error if handling the message
   * failed, or the signal's reason; never hangs.
   */
  ask<R = unknown>(message: M, options?: AskOptions): Promise<R>
  /**
   * The flow-controlled send: resolves once the message is queued. Into a full bounded mailbox
   * it waits for room under `backpressure` and rejects with `MailboxFullError` otherwise.
   */
  send(message: M, options?: { signal?: AbortSignal }): Promise<void>
  /** Whether both refs name the same actor. */
  equals(other: Ref<unknown>): boolean
}

/**
 * The base of every ref implementation, so that isolation, codecs and `equals` recognise refs
 * whatever their kind (local, ask reply, remote).
 */
export abstract class RefBase<M = unknown> implements Ref<M> {
  abstract readonly address: string
  abstract readonly path: string
  abstract readonly name: string
  abstract tell(message: M, sender?: Ref): void
  abstract ask<R = unknown>(message: M, options?: AskOptions): Promise<R>
  abstract send(message: M, options?: { signal?: AbortSignal }): Promise<void>

  equals(other: Ref<unknown>): boolean {
    return other === this || other.address === this.address
  }

  /** The ref this one stands for: itself, or, for a wrapper such as a portal, the ref it wraps. */
  unwrap(): Ref<M> {
    return this
  }

  /**
   * For refs that stand for a waiting asker (an ask's reply ref, a remote asker): there will be
   * no reply, and `error` says why. Other refs ignore it.
   */
  failReply(_error: unknown): void {}

  /**
   * Called when a local actor watches this ref. Refs of other nodes forward it to their node,
   * which tells `watcher` once the actor stops; the core handles its own actors itself.
   */
  addWatcher(_watcher: LocalActorHandle): void {
    throw new TypeError(`${this.address} cannot be watched`)
  }

  removeWatcher(_watcher: LocalActorHandle): void {}

  /** Called when a local actor links with this ref (see `addWatcher`). */
  addLink(_peer: LocalActorHandle): void {
    throw new TypeError(`${this.address} cannot be linked`)
  }

  /**
   * The link is cut: by `unlink` (no `exit`), or because the local actor stopped; `exit` is given
   * when it stopped abnormally, so that the linked actor fails too.
   */
  removeLink(_peer: LocalActorHandle, _exit?: { reason: StopReason; error: unknown }): void {}

  toString(): string {
    return this.address
  }

  /** A ref in JSON is its address. */
  toJSON(): string {
    return this.address
  }
}

/**
 * What the remote layer may do with an actor of this node that watches or links an actor of
 * another node: tell it that the other actor stopped.
 */
export interface LocalActorHandle {
  /** The watching actor; `undefined` for a watch made with `system.watch`. */
  readonly ref: Ref | undefined
  /** The watched actor stopped: delivers `Terminated` to the watcher. */
  terminated(target: Ref, reason: StopReason, error?: unknown): void
  /** The linked actor stopped abnormally: fails this actor, or delivers `Exit` when it traps exits. */
  exited(from: Ref, reason: StopReason | 'noproc', error?: unknown): void
}

/** Whether `value` is a ref to an actor: of this node, of another node, or a portal. */
export function isRef(value: unknown): value is Ref {
  return value instanceof RefBase
}
