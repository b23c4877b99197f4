import type { StopReason } from '../../core/inspection.ts'
import type { AskOptions, LocalActorHandle, Ref } from '../../core/ref.ts'
import { RefBase } from '../../core/ref.ts'

/** What a remote ref needs of its node's connections. */
export interface PeerRouter {
  tell(target: RemoteRef, message: unknown, sender: Ref | undefined): void
  ask<R>(target: RemoteRef, message: unknown, options: AskOptions | undefined): Promise<R>
  watch(target: RemoteRef, watcher: LocalActorHandle): void
  unwatch(target: RemoteRef, watcher: LocalActorHandle): void
  link(target: RemoteRef, actor: LocalActorHandle): void
  unlink(
    target: RemoteRef,
    actor: LocalActorHandle,
    exit: { reason: StopReason; error: unknown } | undefined,
  ): void
}

/**
 * A ref to an actor of another node. Telling it never blocks or throws: the envelope is queued on
 * the connection to that node (opened on first use), and what cannot be delivered becomes a dead
 * letter. `incarnation` pins the ref to one life of its node, so that a restarted node with the
 * same name is never taken for the old one.
 */
export class RemoteRef<M = unknown> extends RefBase<M> {
  // An ES private field: what compares refs by their own keys (a test's deep equality) never walks the node behind it.
  readonly #router: PeerRouter

  constructor(
    router: PeerRouter,
    readonly node: string,
    readonly path: string,
    private pinned: string | undefined,
  ) {
    super()
    this.#router = router
  }

  /** The life of its node this ref belongs to: fixed the first time the ref is used, if not before. */
  get incarnation(): string | undefined {
    return this.pinned
  }

  /** Binds the ref to the incarnation of its node it first reaches. */
  pin(incarnation: string): boolean {
    if (this.pinned === undefined) this.pinned = incarnation
    return this.pinned === incarnation
  }

  get address(): string {
    return `troupe://${this.node}${this.path}`
  }

  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1)
  }

  tell(message: M, sender?: Ref): void {
    this.#router.tell(this, message, sender)
  }

  ask<R = unknown>(message: M, options?: AskOptions): Promise<R> {
    return this.#router.ask<R>(this, message, options)
  }

  /** Resolves once the message is handed to the connection; remote mailboxes apply their own policy. */
  send(message: M): Promise<void> {
    this.#router.tell(this, message, undefined)
    return Promise.resolve()
  }

  override addWatcher(watcher: LocalActorHandle): void {
    this.#router.watch(this, watcher)
  }

  override removeWatcher(watcher: LocalActorHandle): void {
    this.#router.unwatch(this, watcher)
  }

  override addLink(actor: LocalActorHandle): void {
    this.#router.link(this, actor)
  }

  override removeLink(actor: LocalActorHandle, exit?: { reason: StopReason; error: unknown }): void {
    this.#router.unlink(this, actor, exit)
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Ref(${this.address})`
  }
}
