import type { Logger } from 'pino'
import { createCancelScope } from '../../concurrency/cancel-scope.ts'
import { CancelledError } from '../../concurrency/errors.ts'
import { ActorStoppedError } from '../../core/errors.ts'
import type { Ref } from '../../core/ref.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope } from '../../wire/envelope.ts'
import { uidOf } from './current-actor.ts'
import { exposedFunction, runExposed } from './exposed-functions.ts'
import type { ItemBatcher } from './item-batcher.ts'
import { ContextCallee } from './portal-context.ts'
import { StreamProducer, type StreamSink } from './portal-stream.ts'

/** What the callee's side of remote work needs of its peer. */
export interface CalleeHost {
  /** The peer's node. */
  readonly node: string
  readonly system: ActorSystem
  readonly logger: Logger
  send(envelope: Envelope): void
  itemBatcher(send: (values: unknown[]) => void): ItemBatcher
}

type Running = { cancel(reason?: unknown): void; producer?: StreamProducer; context?: ContextCallee }

/** The callee's side: the calls, streams and contexts of this node's functions that one peer runs. */
export class ServedCalls {
  /** What the peer is running here, by the peer's id: how to cancel each. */
  private readonly running = new Map<number, Running>()

  constructor(private readonly host: CalleeHost) {}

  /** What `id` runs, to name what could not be sent for it. */
  kindOf(id: number): 'call' | 'context' | undefined {
    const running = this.running.get(id)
    return running === undefined ? undefined : running.context ? 'context' : 'call'
  }

  /** The actor and function a call or stream names, or `undefined` once an `error` has answered `id`. */
  private callee(
    id: number,
    actorPath: string,
    module: string,
    name: string,
  ): { actor: Ref | undefined; fn: ReturnType<typeof exposedFunction> } | undefined {
    const node = this.host.system.node
    let actor: Ref | undefined
    if (actorPath !== '') {
      actor = this.host.system.actorAt(actorPath)
      if (actor === undefined) {
        this.host.send({ kind: 'error', id, error: new ActorStoppedError(`troupe://${node}${actorPath}`) })
        return undefined
      }
    }
    try {
      return { actor, fn: exposedFunction(module, name, node) }
    } catch (error) {
      this.host.logger.warn(`refused to run '${name}' of ${module} for ${this.host.node}: ${describe(error)}`)
      this.host.send({ kind: 'error', id, error })
      return undefined
    }
  }

  call(id: number, actorPath: string, module: string, name: string, args: unknown[]): void {
    const callee = this.callee(id, actorPath, module, name)
    if (callee === undefined) return
    // The call's signal is its scope's, made only if the function asks for it (most never do).
    const scope = createCancelScope([])
    const entry = { cancel: (reason?: unknown) => scope.scope.cancel(reason ?? cancelledByCaller()) }
    this.running.set(id, entry)
    // Answered even once cancelled: a caller that waits gets the failure or the cancellation.
    runExposed(callee.fn, args, callee.actor, scope.scope, scope.run)
      .then(
        (result) => this.host.send({ kind: 'reply', id, message: result }),
        (error: unknown) => this.host.send(errorOf(id, error, callee.actor)),
      )
      .finally(() => {
        scope.close()
        if (this.running.get(id) === entry) this.running.delete(id)
      })
  }

  /**
   * Where a producer's items go: gathered for one turn of the event loop and sent as one
   * envelope (one envelope per item cost ten times as much), the end or an error after them.
   */
  private batchingSink(id: number, actor: Ref | undefined): StreamSink {
    const items = this.host.itemBatcher((values) => this.host.send({ kind: 'stream-items', id, values }))
    return {
      item: (value) => items.push(value),
      end: () => {
        items.flush()
        this.host.send({ kind: 'stream-end', id })
      },
      fail: (error) => {
        items.flush()
        this.host.send(errorOf(id, error, actor))
      },
    }
  }

  open(envelope: Extract<Envelope, { kind: 'open' }>): void {
    const { id } = envelope
    const callee = this.callee(id, envelope.actor, envelope.module, envelope.name)
    if (callee === undefined) return
    const items = this.host.itemBatcher((values) => this.host.send({ kind: 'stream-items', id, values }))
    const context = new ContextCallee(callee.fn, envelope.args, callee.actor, envelope.window, {
      started: (first) => this.host.send({ kind: 'context-started', id, first }),
      item: (value) => items.push(value),
      credit: (n) => this.host.send({ kind: 'context-credit', id, n }),
      returned: (result) => {
        items.flush()
        this.host.send({ kind: 'reply', id, message: result })
      },
      failed: (error) => {
        items.flush()
        this.host.send(errorOf(id, error, callee.actor))
      },
    })
    const entry = { cancel: (reason?: unknown) => context.cancel(reason ?? cancelledByCaller()), context }
    this.running.set(id, entry)
    void context.run().then(() => {
      if (this.running.get(id) === entry) this.running.delete(id)
    })
  }

  stream(envelope: Extract<Envelope, { kind: 'stream' }>): void {
    const { id } = envelope
    const callee = this.callee(id, envelope.actor, envelope.module, envelope.name)
    if (callee === undefined) return
    const producer = new StreamProducer(
      callee.fn,
      envelope.args,
      callee.actor,
      envelope.window,
      this.batchingSink(id, callee.actor),
      () => {
        if (this.running.get(id)?.producer === producer) this.running.delete(id)
      },
      (error) =>
        this.host.logger.warn(
          { err: error },
          `the stream '${envelope.name}' of ${envelope.module} threw while cancelled: ${describe(error)}`,
        ),
    )
    this.running.set(id, { cancel: (reason) => producer.cancel(reason ?? cancelledByCaller()), producer })
    void producer.run()
  }

  // ---- from the caller ----

  credit(id: number, n: number): void {
    const running = this.running.get(id)
    running?.producer?.grant(n)
    running?.context?.grant(n)
  }

  items(id: number, values: unknown[]): void {
    const context = this.running.get(id)?.context
    if (context !== undefined) for (const value of values) context.item(value)
  }

  end(id: number): void {
    this.running.get(id)?.context?.end()
  }

  cancel(id: number, reason: unknown): void {
    this.running.get(id)?.cancel(cancelledFor(reason))
  }

  /** `envelope`, which this side sent, could not be sent, for `error`; `false` if this side did not send it. */
  refused(envelope: Envelope, error: unknown): boolean {
    switch (envelope.kind) {
      case 'stream-items':
      case 'context-started':
        this.running.get(envelope.id)?.cancel(error)
        this.host.send({ kind: 'error', id: envelope.id, error })
        return true
      default:
        return false
    }
  }

  /** The calling node is down: everything it runs here is cancelled. */
  lost(error: Error): void {
    const running = [...this.running.values()]
    this.running.clear()
    for (const call of running)
      call.cancel(new CancelledError(`the calling node ${this.host.node} is down`, { cause: error }))
  }
}

/** The error of a call, stream or context, with the uid of the actor it ran as. */
function errorOf(id: number, error: unknown, actor: Ref | undefined): Envelope {
  return actor === undefined ? { kind: 'error', id, error } : { kind: 'error', id, error, uid: uidOf(actor) }
}

function cancelledByCaller(): CancelledError {
  return new CancelledError('the call was cancelled by its caller')
}

/** Why the caller cancelled, as its `cancel` said (a value it could not send): `undefined` if it did not say. */
function cancelledFor(reason: unknown): CancelledError | undefined {
  if (reason === undefined) return undefined
  return new CancelledError(`the call was cancelled by its caller: ${describe(reason)}`, { cause: reason })
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
