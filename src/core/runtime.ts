import type { Logger } from 'pino'
import type { ActorPortal } from './actor-portal.ts'
import { AskTimeouts } from './ask.ts'
import type { AnyBehavior, Behavior, SpawnOptions } from './behavior.ts'
import type { Cell } from './cell/cell.ts'
import { ActorStoppedError, MailboxFullError, UnhandledMessageError } from './errors.ts'
import type { FunctionRef } from './function-ref.ts'
import type { DeadLetterReason, HookName, InspectionEvent, InspectOptions } from './inspection.ts'
import { Names } from './names.ts'
import { isRef, type Ref, RefBase } from './ref.ts'
import { Scheduler, type SchedulerOptions } from './scheduler.ts'
import { SIGNAL_SENDER } from './signals.ts'
import type { ActorSystem } from './system.ts'
import type { Template } from './template.ts'

/** What the core asks of the node-to-node layer (which plugs in here; the core never imports it). */
export interface RemoteHooks {
  /** Starts an exposed definition on another node; the ref is usable at once. */
  spawn(node: string, behavior: Behavior<unknown, unknown>, options: SpawnOptions<unknown>): Ref
  /** Stops an actor of another node; resolves once it has stopped (or its node is down). */
  stop(ref: Ref): Promise<void>
  /** Looks a name up in the cluster registry, if the node joined one. */
  findActor(name: string): Promise<Ref | undefined>
  /** Waits for a name in the cluster registry; rejects with `ActorNotFoundError` at the timeout. */
  waitForActor(name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Ref>
  /** The ref an address of another node names. */
  resolve(address: string): Ref
  /** Closes every connection. */
  close(): Promise<void>
}

/** What a nursery asks of the layer that starts child nodes (threads and processes). */
export interface ChildRunRequest {
  /** The actor's name, also the first part of its child node's name. */
  name: string
  fn: FunctionRef
  args: readonly unknown[]
  in: 'thread' | 'process'
}

/** A daemon actor a nursery starts on a child node. */
export interface ChildStartRequest {
  name: string
  /** Module URLs the child loads (it exposes their functions and actor definitions). */
  modules: readonly string[]
  in: 'thread' | 'process'
  data?: unknown
}

/**
 * A daemon actor on a child node (tractor's `start_actor`): a ref that can also `run` and
 * `stream` the functions its node exposes, and `cancelActor()` to stop it with its node.
 */
export interface ChildPortal extends ActorPortal {
  /** Stops the actor and its child node (gracefully, then by force); resolves once it has exited. */
  cancelActor(): Promise<void>
}

/** What the core asks of the layer that starts child nodes. */
export interface ChildRunner {
  /** Runs a function in an actor on a new child node (a nursery's `runInActor`). */
  run(request: ChildRunRequest): ChildRun
  /** Starts a daemon actor on a new child node (a nursery's `startActor`). */
  start(request: ChildStartRequest): Promise<ChildPortal>
}

/** An actor that `spawn(definition, { in })` runs on a new child node. */
export interface ChildActorRequest {
  behavior: Behavior<unknown, unknown>
  in: 'thread' | 'process'
  modules: readonly (string | URL)[]
  props: unknown
}

/** What the core asks of the layer that starts child nodes for supervised actors. */
export interface ChildActorHooks {
  /**
   * The behavior of the local stand-in that the core spawns and supervises in the actor's place:
   * it runs the actor on a child node, forwards messages to it, and fails when it fails.
   */
  standIn(request: ChildActorRequest): Behavior<unknown, unknown>
}

/** A function running in an actor of a child node. */
export interface ChildRun {
  /** The actor, usable at once (its node is being started). */
  readonly ref: Ref
  /** Settles with the function's outcome; its node has stopped by then. */
  readonly result: Promise<unknown>
  /** Stops the child node (gracefully, then by force); resolves once it has exited. */
  cancel(): Promise<void>
}

/** Receives every inspection event of a system. */
export type InspectionListener = (event: InspectionEvent) => void

/** What every actor of one system shares: scheduler, names, ask deadlines, isolation, inspection, logs. */
export class Runtime {
  readonly scheduler: Scheduler
  readonly names = new Names()
  readonly asks: AskTimeouts
  /** True while anyone inspects: events are built only then. */
  inspecting = false
  /** True while anyone inspects messages. */
  traceMessages = false
  deadLetterCount = 0
  /** Definitions this node lets other nodes spawn, by name, and the names by definition. */
  readonly exposed = new Map<string, AnyBehavior>()
  readonly exposedNames = new Map<AnyBehavior, string>()
  /** Runs functions in child nodes, once the layer that starts them plugs in. */
  childRunner: ChildRunner | null = null
  /** Runs supervised actors in child nodes (`spawn(def, { in })`), once that layer plugs in. */
  childActors: ChildActorHooks | null = null
  /** The node-to-node layer, once the node is networked. */
  remote: RemoteHooks | null = null
  /** The public face of this runtime; set by the system that owns it. */
  system!: ActorSystem
  /** Builds the cell for a template; set by the system, which knows every kind of cell. */
  createCell!: (parent: Cell, template: Template, props: unknown, name: string | undefined) => Cell
  private lastId = 0
  private readonly listeners = new Map<InspectionListener, boolean>()

  constructor(
    readonly node: string,
    readonly logger: Logger,
    readonly isolate: ((message: unknown) => unknown) | null,
    scheduler: SchedulerOptions | undefined,
    askTimeoutMs: number,
  ) {
    this.scheduler = new Scheduler(scheduler)
    this.asks = new AskTimeouts(askTimeoutMs, isolate)
  }

  nextId(): number {
    return ++this.lastId
  }

  subscribe(listener: InspectionListener, options: InspectOptions = {}): () => void {
    this.listeners.set(listener, options.messages === true)
    this.refresh()
    return () => {
      this.listeners.delete(listener)
      this.refresh()
    }
  }

  emit(event: InspectionEvent): void {
    for (const [listener, messages] of this.listeners) {
      if (event.type === 'message' && !messages) continue
      try {
        listener(event)
      } catch (error) {
        this.logger.error({ err: error }, 'an inspection listener threw')
      }
    }
  }

  /** Routes an undeliverable message: counted, logged at debug, observable; an asker is told why at once. */
  deadLetter(to: Ref, message: unknown, sender: unknown, reason: DeadLetterReason, capacity = 0): void {
    if (sender === SIGNAL_SENDER) return
    this.deadLetterCount++
    if (sender instanceof RefBase) {
      if (reason === 'stopped') sender.failReply(new ActorStoppedError(to.address))
      else if (reason === 'mailbox-full') sender.failReply(new MailboxFullError(to.address, capacity))
      else if (reason === 'unhandled') sender.failReply(new UnhandledMessageError(to.address))
    }
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ to: to.address, reason }, 'dead letter')
    if (this.inspecting) {
      this.emit({ type: 'dead-letter', to, message, sender: isRef(sender) ? sender : undefined, reason })
    }
  }

  /** A hook or decider threw: never swallowed, always logged and emitted. */
  reportHook(ref: Ref, hook: HookName, error: unknown): void {
    this.logger.error({ err: error, actor: ref.path, hook }, `the ${hook} hook of ${ref.path} threw`)
    if (this.inspecting) this.emit({ type: 'hook-failed', ref, hook, error })
  }

  private refresh(): void {
    this.inspecting = this.listeners.size > 0
    this.traceMessages = [...this.listeners.values()].some(Boolean)
  }
}
