import type { Logger } from 'pino'
import { CancelledError } from '../../concurrency/errors.ts'
import { describeError } from '../../core/describe-error.ts'
import { ActorStoppedError } from '../../core/errors.ts'
import type { Ref } from '../../core/ref.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope, OpenEnvelope, OpenMode } from '../../wire/envelope.ts'
import { ContextCallee } from './context-callee.ts'
import { uidOf } from './current-actor.ts'
import { exposedFunction } from './exposed-functions.ts'
import type { ItemBatcher } from './item-batcher.ts'

/** What the callee's side of remote work needs of its peer. */
export interface CalleeHost {
  /** The peer's node. */
  readonly node: string
  readonly system: ActorSystem
  readonly logger: Logger
  send(envelope: Envelope): void
  itemBatcher(send: (values: unknown[]) => void): ItemBatcher
  /** Why this node refuses the peer a call of `module`#`name` (an untrusted node), if it does. */
  callRefusal(module: string, name: string): Error | undefined
}

/** The callee's side: the remote work (runs, streams, contexts) of this node's functions that one peer runs here. */
export class ServedCalls {
  /** What the peer runs here, by the peer's id. */
  private readonly running = new Map<number, ContextCallee>()

  constructor(private readonly host: CalleeHost) {}

  /** How `id` runs, to name what could not be sent for it. */
  modeOf(id: number): OpenMode | undefined {
    return this.running.get(id)?.mode
  }

  open(envelope: OpenEnvelope): void {
    const { id, mode } = envelope
    const callee = this.callee(id, envelope.actor, envelope.module, envelope.name)
    if (callee === undefined) return
    const { send } = this.host
    // What the function sends is gathered for one turn of the event loop and sent as one
    // envelope (one envelope per item cost ten times as much), its end or error after it.
    const items =
      mode === 'run'
        ? undefined
        : this.host.itemBatcher((values) => send({ kind: 'items', id, by: 'callee', values }))
    const context = new ContextCallee(mode, callee.fn, envelope.args, callee.actor, envelope.window, {
      started: (first) => send({ kind: 'started', id, first }),
      item: (value) => items!.push(value),
      credit: (n) => send({ kind: 'credit', id, by: 'callee', n }),
      ended: (value) => {
        items?.flush()
        send(
          value === undefined ? { kind: 'end', id, by: 'callee' } : { kind: 'end', id, by: 'callee', value },
        )
      },
      failed: (error) => {
        items?.flush()
        send(errorOf(id, error, callee.actor))
      },
      returnFailed: (error) =>
        this.host.logger.warn(
          { err: error },
          `the stream '${envelope.name}' of ${envelope.module} threw while cancelled: ${describeError(error)}`,
        ),
    })
    this.running.set(id, context)
    void context.run().then(() => {
      if (this.running.get(id) === context) this.running.delete(id)
    })
  }

  /** The actor and function `open` names, or `undefined` once an `error` has answered `id`. */
  private callee(
    id: number,
    actorPath: string,
    module: string,
    name: string,
  ): { actor: Ref | undefined; fn: ReturnType<typeof exposedFunction> } | undefined {
    const node = this.host.system.node
    const refusal = this.host.callRefusal(module, name)
    if (refusal !== undefined) {
      this.host.send({ kind: 'error', id, error: refusal })
      return undefined
    }
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
      this.host.logger.warn(
        `refused to run '${name}' of ${module} for ${this.host.node}: ${describeError(error)}`,
      )
      this.host.send({ kind: 'error', id, error })
      return undefined
    }
  }

  // ---- what the caller sends ----

  items(id: number, values: unknown[]): void {
    const context = this.running.get(id)
    if (context !== undefined) for (const value of values) context.item(value)
  }

  credit(id: number, n: number): void {
    this.running.get(id)?.grant(n)
  }

  end(id: number): void {
    this.running.get(id)?.end()
  }

  /** The caller cancelled `id`, with why if it could say. */
  cancel(id: number, reason: unknown): void {
    this.running.get(id)?.cancel(cancelledFor(reason))
  }

  /** `envelope`, which this side sent, could not be sent, for `error`; `false` if the caller's side sent it. */
  refused(envelope: Envelope, error: unknown): boolean {
    switch (envelope.kind) {
      case 'items':
      case 'end':
        if (envelope.by !== 'callee') return false
        this.running.get(envelope.id)?.cancel(error)
        this.host.send({ kind: 'error', id: envelope.id, error })
        return true
      case 'started':
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
    for (const context of running)
      context.cancel(new CancelledError(`the calling node ${this.host.node} is down`, { cause: error }))
  }
}

/** The error of remote work, with the uid of the actor it ran as. */
function errorOf(id: number, error: unknown, actor: Ref | undefined): Envelope {
  return actor === undefined ? { kind: 'error', id, error } : { kind: 'error', id, error, uid: uidOf(actor) }
}

/** Why the caller cancelled: as its `cancel` said (a value it could not send), or only that it did. */
function cancelledFor(reason: unknown): CancelledError {
  if (reason === undefined) return new CancelledError('the call was cancelled by its caller')
  return new CancelledError(`the call was cancelled by its caller: ${describeError(reason)}`, {
    cause: reason,
  })
}
