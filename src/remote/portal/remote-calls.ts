import type { AskRef } from '../../core/ask.ts'
import { ActorStoppedError } from '../../core/errors.ts'
import type { Envelope } from '../../wire/envelope.ts'
import type { RemoteRef } from '../node/remote-ref.ts'
import type { ItemBatcher } from './item-batcher.ts'
import type { ContextCaller } from './portal-context.ts'
import type { StreamConsumer } from './portal-stream.ts'
import { RemoteActorError } from './remote-actor-error.ts'

/** What the caller's side of remote work needs of its peer. */
export interface CallerHost {
  /** The peer's node. */
  readonly node: string
  /** Why the peer is down, or `undefined` while it is up. */
  downError(): Error | undefined
  newId(): number
  send(envelope: Envelope): void
  itemBatcher(send: (values: unknown[]) => void): ItemBatcher
  /** Why the spawn of the actor at `path` failed, if it did. */
  spawnFailure(path: string): unknown
}

/**
 * The caller's side of the calls, streams and contexts this node runs on one peer's node: what
 * is pending, by id, and what comes back for it.
 */
export class RemoteCalls {
  /** Calls waiting for their answer, with the address of the actor they run in. */
  private readonly calls = new Map<number, { ask: AskRef; actor: string }>()
  /** Streams this node consumes from the peer, by id, with the address of the actor they run in. */
  private readonly streams = new Map<number, { consumer: StreamConsumer<unknown>; actor: string }>()
  /** Contexts this node opened on the peer, by id, with the address of the actor they run in. */
  private readonly contexts = new Map<number, { context: ContextCaller; actor: string }>()

  constructor(private readonly host: CallerHost) {}

  /**
   * Runs the exposed function `module`#`name` on the peer's node, as the actor `target`. Aborting
   * `cancelOn` cancels the function there and leaves `ask` waiting for its answer.
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
    const id = this.host.newId()
    this.calls.set(id, { ask, actor: target.address })
    ask.promise.then(
      () => this.calls.delete(id),
      () => {
        // Still listed: no answer came, so the caller gave up (its signal, its timeout).
        if (this.calls.delete(id)) this.host.send({ kind: 'cancel', id })
      },
    )
    this.host.send({ kind: 'call', id, actor: target.path, module, name, args })
    if (cancelOn !== undefined) this.cancelWhenAborted(cancelOn, id, ask)
  }

  /** Sends the cancel of call `id` once `signal` aborts (now if it has), unless it was answered. */
  private cancelWhenAborted(signal: AbortSignal, id: number, ask: AskRef): void {
    const cancel = () => {
      if (this.calls.has(id)) this.host.send({ kind: 'cancel', id })
    }
    if (signal.aborted) {
      cancel()
      return
    }
    signal.addEventListener('abort', cancel, { once: true })
    const forget = () => signal.removeEventListener('abort', cancel)
    ask.promise.then(forget, forget)
  }

  /** Opens a stream of the exposed generator function `module`#`name` on the peer's node, as `target`. */
  stream(
    consumer: StreamConsumer<unknown>,
    target: RemoteRef,
    module: string,
    name: string,
    args: unknown[],
  ): void {
    if (consumer.done) return
    const down = this.host.downError()
    if (down !== undefined) {
      consumer.fail(down)
      return
    }
    const id = this.host.newId()
    this.streams.set(id, { consumer, actor: target.address })
    consumer.attach({
      credit: (n) => {
        if (this.streams.has(id)) this.host.send({ kind: 'stream-credit', id, n })
      },
      cancel: () => {
        if (this.streams.delete(id)) this.host.send({ kind: 'cancel', id })
      },
    })
    this.host.send({ kind: 'stream', id, actor: target.path, module, name, args, window: consumer.window })
  }

  /** Opens a context with the exposed function `module`#`name` on the peer's node, as `target`. */
  open(context: ContextCaller, target: RemoteRef, module: string, name: string, args: unknown[]): void {
    if (context.over) return
    const down = this.host.downError()
    if (down !== undefined) {
      context.fail(down)
      return
    }
    const id = this.host.newId()
    this.contexts.set(id, { context, actor: target.address })
    const items = this.host.itemBatcher((values) => this.host.send({ kind: 'context-items', id, values }))
    context.attach({
      item: (value) => {
        if (this.contexts.has(id)) items.push(value)
      },
      credit: (n) => {
        if (this.contexts.has(id)) this.host.send({ kind: 'stream-credit', id, n })
      },
      end: () => {
        if (!this.contexts.has(id)) return
        items.flush()
        this.host.send({ kind: 'context-end', id })
      },
      cancel: () => {
        if (this.contexts.delete(id)) this.host.send({ kind: 'cancel', id })
      },
    })
    this.host.send({ kind: 'open', id, actor: target.path, module, name, args, window: context.window })
  }

  // ---- what comes back ----

  items(id: number, values: unknown[]): void {
    const consumer = this.streams.get(id)?.consumer ?? this.contexts.get(id)?.context
    if (consumer !== undefined) for (const value of values) consumer.item(value)
  }

  streamEnd(id: number): void {
    const stream = this.streams.get(id)
    this.streams.delete(id)
    stream?.consumer.end()
  }

  started(id: number, first: unknown): void {
    this.contexts.get(id)?.context.started(first)
  }

  credit(id: number, n: number): void {
    this.contexts.get(id)?.context.credit(n)
  }

  /** The answer of call or context `id`; `false` if it is neither (an ask's). */
  replied(id: number, result: unknown): boolean {
    const opened = this.contexts.get(id)
    if (opened !== undefined) {
      this.contexts.delete(id)
      opened.context.returned(result)
      return true
    }
    const call = this.calls.get(id)
    if (call === undefined) return false
    this.calls.delete(id)
    call.ask.tell(result)
    return true
  }

  /** The error of call, stream or context `id`; `false` if it is none of them. */
  failed(id: number, error: unknown, uid: string | undefined): boolean {
    const opened = this.contexts.get(id)
    if (opened !== undefined) {
      this.contexts.delete(id)
      opened.context.fail(new RemoteActorError(error, opened.actor, uid))
      return true
    }
    const stream = this.streams.get(id)
    if (stream !== undefined) {
      this.streams.delete(id)
      stream.consumer.fail(new RemoteActorError(error, stream.actor, uid))
      return true
    }
    const call = this.calls.get(id)
    if (call === undefined) return false
    this.calls.delete(id)
    // A call sent before the answer to its actor's spawn: the spawn's failure says why.
    const unspawned =
      error instanceof ActorStoppedError ? this.host.spawnFailure(call.ask.target.path) : undefined
    call.ask.fail(unspawned ?? new RemoteActorError(error, call.actor, uid))
    return true
  }

  /** `envelope`, which this side sent, could not be sent, for `error`; `false` if this side did not send it. */
  refused(envelope: Envelope, error: unknown): boolean {
    switch (envelope.kind) {
      case 'call': {
        const call = this.calls.get(envelope.id)
        this.calls.delete(envelope.id)
        call?.ask.fail(error)
        return true
      }
      case 'stream': {
        const stream = this.streams.get(envelope.id)
        this.streams.delete(envelope.id)
        stream?.consumer.fail(error)
        return true
      }
      case 'open': {
        const opened = this.contexts.get(envelope.id)
        this.contexts.delete(envelope.id)
        opened?.context.fail(error)
        return true
      }
      case 'context-items': {
        // The caller's own value cannot cross: its context fails with why, and the callee is cancelled.
        const opened = this.contexts.get(envelope.id)
        if (opened === undefined) return true
        this.contexts.delete(envelope.id)
        this.host.send({ kind: 'cancel', id: envelope.id, reason: error })
        opened.context.fail(error)
        return true
      }
      default:
        return false
    }
  }

  /** The peer is down: everything pending fails with `error`. */
  lost(error: Error): void {
    const calls = [...this.calls.values()]
    this.calls.clear()
    for (const { ask } of calls) ask.fail(error)
    const streams = [...this.streams.values()]
    this.streams.clear()
    for (const { consumer } of streams) consumer.fail(error)
    const contexts = [...this.contexts.values()]
    this.contexts.clear()
    for (const { context } of contexts) context.fail(error)
  }
}
