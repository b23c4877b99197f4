import type { Logger } from 'pino'
import { AskTimeouts } from './ask.ts'
import type { AnyBehavior } from './behavior.ts'
import type { Cell } from './cell/cell.ts'
import { ActorStoppedError, MailboxFullError, UnhandledMessageError } from './errors.ts'
import { Extensions } from './extensions.ts'
import type { DeadLetterReason, HookName, InspectionEvent, InspectOptions } from './inspection.ts'
import { Names } from './names.ts'
import { isRef, type Ref, RefBase } from './ref.ts'
import { Scheduler, type SchedulerOptions } from './scheduler.ts'
import { SIGNAL_SENDER } from './signals.ts'
import type { ActorSystem } from './system.ts'
import type { Template } from './template.ts'

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
  /** The system's extensions (`system.extensions`): what the layers above plug in through. */
  readonly extensions: Extensions
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
    this.extensions = new Extensions(node)
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
