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

  toString(): string {
    return this.address
  }

  toJSON(): string {
    return this.address
  }
}

export function isRef(value: unknown): value is Ref {
  return value instanceof RefBase
}
