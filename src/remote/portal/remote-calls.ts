import type { AskRef } from '../../core/ask.ts'
import { ActorStoppedError } from '../../core/errors.ts'
import type { Envelope } from '../../wire/envelope.ts'
import { UntrustedRequestError } from '../node/errors.ts'
import type { RemoteRef } from '../node/remote-ref.ts'
import { ContextCaller } from './context-caller.ts'
import type { ItemBatcher } from './item-batcher.ts'
import type { PendingRequest, PendingRequests } from './pending-requests.ts'
import { RemoteActorError } from './remote-actor-error.ts'

/** What the caller's side of remote work needs of its peer. */
export interface CallerHost {
  /** What this node waits for from the peer, asks included. */
  readonly pending: PendingRequests
  /** Why the peer is down, or `undefined` while it is up. */
  downError(): Error | undefined
  send(envelope: Envelope): void
  itemBatcher(send: (values: unknown[]) => void): ItemBatcher
  /** Why the spawn of the actor at `path` failed, if it did. */
  spawnFailure(path: string): unknown
}

/** Remote work this node opened, waiting in the peer's pending requests. */
class OpenedContext implements PendingRequest {
  constructor(
    readonly context: ContextCaller,
    private readonly target: RemoteRef,
    private readonly spawnFailure: (path: string) => unknown,
  ) {}

  answered(value: unknown): void {
    this.context.ended(value)
  }

  refused(error: unknown, uid: string | undefined): void {
    // Work sent before the answer to its actor's spawn: the spawn's failure says why.
    const unspawned = error instanceof ActorStoppedError ? this.spawnFailure(this.target.path) : undefined
    // A refusal of the node, not a failure of the function: it arrives as itself.
    const refusal = error instanceof UntrustedRequestError ? error : undefined
    this.context.fail(unspawned ?? refusal ?? new RemoteActorError(error, this.target.address, uid))
  }

  failed(error: unknown): void {
    this.context.fail(error)
  }
}

/**
 * The caller's side of the remote work this node runs on one peer's node: `run`, `stream` and
 * `open` alike open a context there (see `OpenMode`), and what comes back goes to its
 * `ContextCaller`.
 */
export class RemoteCalls {
  constructor(private readonly host: CallerHost) {}

  /**
   * Runs the exposed function `module`#`name` on the peer's node, as the actor `target`, and
   * settles `ask` with its result (the ask keeps its timeout and signal). Aborting `cancelOn`
   * cancels the function there and leaves `ask` waiting for its answer.
   */
  call(
    ask: AskRef,
    target: RemoteRef,
    module: string,
    name: string,
    args: unknown[],
    cancelOn?: AbortSignal,
  ): void {
    const down = this.host.downError()
    if (down !== undefined) {
      ask.fail(down)
      return
    }
    if (ask.settled) return
    const context = new ContextCaller('run', 1, undefined)
    context.result().then(
      (result) => ask.tell(result),
      (error: unknown) => ask.fail(error),
    )
    // Settled first: the caller gave up (its signal, its timeout), so the function is cancelled.
    ask.promise.then(
      () => context.cancel(),
      () => context.cancel(),
    )
    this.open(context, target, module, name, args)
    if (cancelOn === undefined || context.over) return
    if (cancelOn.aborted) {
      context.interrupt()
      return
    }
    const interrupt = () => context.interrupt()
    cancelOn.addEventListener('abort', interrupt, { once: true })
    const forget = () => cancelOn.removeEventListener('abort', interrupt)
    ask.promise.then(forget, forget)
  }

  /** Opens `context` (of any mode) with the exposed function `module`#`name` on the peer's node, as `target`. */
  open(context: ContextCaller, target: RemoteRef, module: string, name: string, args: unknown[]): void {
    if (context.over) return
    const down = this.host.downError()
    if (down !== undefined) {
      context.fail(down)
      return
    }
    const { pending } = this.host
    const id = pending.add(new OpenedContext(context, target, this.host.spawnFailure))
    const items =
      context.mode === 'context'
        ? this.host.itemBatcher((values) => this.host.send({ kind: 'items', id, by: 'caller', values }))
        : undefined
    context.attach({
      item: (value) => {
        if (pending.has(id)) items?.push(value)
      },
      credit: (n) => {
        if (pending.has(id)) this.host.send({ kind: 'credit', id, by: 'caller', n })
      },
      end: () => {
        if (!pending.has(id)) return
        items?.flush()
        this.host.send({ kind: 'end', id, by: 'caller' })
      },
      cancel: () => {
        // Over: forgotten here too. Not over: a run's caller that still waits for the answer.
        if (context.over ? pending.delete(id) : pending.has(id)) this.host.send({ kind: 'cancel', id })
      },
    })
    const { mode, window } = context
    this.host.send({ kind: 'open', id, actor: target.path, module, name, args, mode, window })
  }

  // ---- what the callee sends ----

  started(id: number, first: unknown): void {
    this.contextOf(id)?.started(first)
  }

  items(id: number, values: unknown[]): void {
    const context = this.contextOf(id)
    if (context !== undefined) for (const value of values) context.item(value)
  }

  credit(id: number, n: number): void {
    this.contextOf(id)?.credit(n)
  }

  /** `envelope`, which this side sent, could not be sent, for `error`; `false` if the callee's side sent it. */
  refused(envelope: Envelope, error: unknown): boolean {
    switch (envelope.kind) {
      case 'open':
        this.host.pending.take(envelope.id)?.failed(error)
        return true
      case 'items': {
        if (envelope.by !== 'caller') return false
        // The caller's own value cannot cross: its context fails with why, and the callee is cancelled.
        const context = this.contextOf(envelope.id)
        if (context === undefined) return true
        this.host.pending.delete(envelope.id)
        this.host.send({ kind: 'cancel', id: envelope.id, reason: error })
        context.fail(error)
        return true
      }
      default:
        return false
    }
  }

  private contextOf(id: number): ContextCaller | undefined {
    const entry = this.host.pending.get(id)
    return entry instanceof OpenedContext ? entry.context : undefined
  }
}
