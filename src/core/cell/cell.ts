import type { Logger } from 'pino'
import { CancelledError } from '../../concurrency/errors.ts'
import { AskRef } from '../ask.ts'
import type { Behavior, SpawnOptions } from '../behavior.ts'
import type { ActorContext } from '../context.ts'
import {
  ActorStoppedError,
  InvalidOptionError,
  LinkedActorFailedError,
  MailboxFullError,
  RestartIntensityError,
} from '../errors.ts'
import type { Directive, StopReason } from '../inspection.ts'
import { Mailbox } from '../mailbox.ts'
import { checkName } from '../names.ts'
import { type AskOptions, type Ref, RefBase } from '../ref.ts'
import type { Runtime } from '../runtime.ts'
import { Exit, SIGNAL_SENDER, type Signal, Terminated } from '../signals.ts'
import { allowRestart, backoffDelay, type Supervision } from '../supervision.ts'
import type { ActorSystem } from '../system.ts'
import { type Template, templateOf } from '../template.ts'

export const RUNNING = 0
/** `ctx.stop()` was called while a handler runs: stop once it settles. */
export const STOP_PENDING = 1
/** Failed and waiting for its supervisor, restarting, or backing off. */
export const SUSPENDED = 2
export const STOPPING = 3
export const STOPPED = 4

const directives: readonly Directive[] = ['restart', 'resume', 'stop', 'escalate']

/** Who is told when an actor stops: another actor (a `Terminated` signal) or a function. */
export type Watcher = Cell | ((terminated: Terminated) => void)

interface RoomWaiter {
  message: unknown
  sender: AskRef | undefined
  resolve: () => void
  reject: (error: unknown) => void
}

/** How a `send` is told that its message was queued or refused. */
interface Settle {
  resolve: () => void
  reject: (error: unknown) => void
}

/** The rarely used parts of an actor, allocated on first use to keep idle actors small. */
class CellExtras {
  watchers: Set<Watcher> | null = null
  /** Actors this one watches: cells of this node, refs of other nodes. */
  watching: Set<Cell | RefBase> | null = null
  links: Set<Cell | RefBase> | null = null
  restartLog: number[] | null = null
  roomWaiters: RoomWaiter[] | null = null
  controller: AbortController | null = null
  logger: Logger | null = null
  pendingChildren = 0
  afterChildren: (() => void) | null = null
  stopWaiters: (() => void)[] | null = null
  highWaterHit = false
  exitError: unknown = undefined
}

/**
 * One actor: its mailbox, state, children and lifecycle. The cell is also the actor's ref and its
 * context (`ctx`), which saves two objects per actor (a million live actors spend most of their
 * time in the garbage collector); the `Ref` and `ActorContext` types show only the public parts.
 */
export abstract class Cell extends RefBase<unknown> implements ActorContext<unknown> {
  scheduled = false
  status = RUNNING
  /** A handler, hook or (process actors) the function between receives holds the mailbox. */
  busy = false
  /** Bumped at every restart and stop, so that a late result of an earlier incarnation is ignored. */
  incarnation = 0
  mailbox: Mailbox | null = null
  sender: Ref | undefined = undefined
  current: unknown = undefined
  // Children form an intrusive doubly linked list in spawn order: O(1) add and remove with no
  // per-child allocation, which a Set of 100k children does not give.
  firstChild: Cell | null = null
  lastChild: Cell | null = null
  prevSibling: Cell | null = null
  nextSibling: Cell | null = null
  exitReason: StopReason | undefined = undefined
  private extra: CellExtras | null = null

  constructor(
    readonly runtime: Runtime,
    readonly parentCell: Cell | null,
    readonly template: Template,
    readonly props: unknown,
    /** The given name, or the id a `$…` name is made from when it is first asked for. */
    private readonly nameOrId: string | number,
  ) {
    super()
  }

  /** Starts (or, after a restart, starts again) this incarnation. */
  abstract begin(): void
  abstract run(batch: number): number
  protected abstract runStoppedHook(reason: StopReason | 'restart', done: () => void): void
  protected abstract hasStoppedHook(): boolean
  /** The current incarnation ends (restart or stop): release what waits on it. */
  protected abstract endIncarnation(): void

  // ---- Ref ----

  get ref(): this {
    return this
  }

  get address(): string {
    return `troupe://${this.runtime.node}${this.path}`
  }

  tell(message: unknown, sender?: Ref): void {
    this.enqueue(message, sender)
  }

  ask<R = unknown>(message: unknown, options?: AskOptions): Promise<R> {
    const ask = this.runtime.asks.open(this, options)
    try {
      this.admit(message, ask, undefined)
    } catch (error) {
      ask.fail(error)
    }
    return ask.promise as Promise<R>
  }

  /** `ref.send`: queued at once when there is room; otherwise by the overflow policy. */
  send(message: unknown, options?: { signal?: AbortSignal }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        this.admit(message, { resolve, reject }, options?.signal)
      } catch (error) {
        reject(error)
      }
    })
  }

  override equals(other: Ref<unknown>): boolean {
    return other === this || (!(other instanceof Cell) && other.address === this.address)
  }

  /** What `console.log` and test failures show: the address, not the whole actor. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Ref(${this.address})`
  }

  // ---- ActorContext ----

  get self(): Ref<unknown> {
    return this
  }

  get parent(): Ref | undefined {
    return this.parentCell?.ref
  }

  get system(): ActorSystem {
    return this.runtime.system
  }

  get name(): string {
    const n = this.nameOrId
    return typeof n === 'string' ? n : `$${n.toString(36)}`
  }

  get path(): string {
    return this.parentCell === null ? `/${this.name}` : `${this.parentCell.path}/${this.name}`
  }

  get signal(): AbortSignal {
    const x = this.x
    if (x.controller === null) {
      x.controller = new AbortController()
      if (this.status >= STOPPING) x.controller.abort(new CancelledError('actor stopped'))
    }
    return x.controller.signal
  }

  get log(): Logger {
    const x = this.x
    if (x.logger === null) x.logger = this.runtime.logger.child({ actor: this.path })
    return x.logger
  }

  reply(value: unknown): void {
    const to = this.sender
    if (to === undefined) this.runtime.deadLetter(this.ref, value, undefined, 'no-sender')
    else to.tell(value, this.ref)
  }

  unhandled(): void {
    const message = this.current
    const sender = this.sender
    const hook = this.template.kind === 'handler' ? this.template.definition.unhandled : undefined
    if (hook !== undefined) {
      try {
        hook(message, this)
      } catch (error) {
        this.runtime.reportHook(this.ref, 'unhandled', error)
      }
    }
    this.runtime.deadLetter(this.ref, message, sender, 'unhandled')
  }

  spawn<C, P = undefined>(behavior: Behavior<C, P>, options?: SpawnOptions<P>): Ref<C> {
    return this.spawnChild(behavior as Behavior<unknown, unknown>, options as SpawnOptions<unknown>) as Ref<C>
  }

  stop(ref?: Ref): void {
    if (ref === undefined || ref === this) {
      if (this.busy && this.status === RUNNING) this.status = STOP_PENDING
      else this.stopWith('normal')
      return
    }
    if (ref instanceof Cell && ref.parentCell === this) ref.stopWith('stopped')
    else throw new TypeError(`${this.path} can stop only itself and its children, not ${ref.path}`)
  }

  watch(ref: Ref): void {
    const x = this.x
    if (x.watching === null) x.watching = new Set()
    if (!(ref instanceof Cell)) {
      const remote = foreign(ref)
      x.watching.add(remote)
      remote.addWatcher(this)
      return
    }
    if (ref.status === STOPPED) {
      this.enqueueSignal(new Terminated(ref, ref.exitReason ?? 'stopped', ref.extra?.exitError))
      return
    }
    const t = ref.x
    if (t.watchers === null) t.watchers = new Set()
    t.watchers.add(this)
    x.watching.add(ref)
  }

  unwatch(ref: Ref): void {
    if (ref instanceof Cell) ref.extra?.watchers?.delete(this)
    else foreign(ref).removeWatcher(this)
    this.extra?.watching?.delete(ref as Cell | RefBase)
  }

  link(ref: Ref): void {
    if (ref === this) return
    if (!(ref instanceof Cell)) {
      const remote = foreign(ref)
      this.acceptLink(remote)
      remote.addLink(this)
      return
    }
    if (ref.status >= STOPPING) {
      if (!this.template.trapExit) throw new ActorStoppedError(ref.address)
      this.enqueueSignal(new Exit(ref, 'noproc'))
      return
    }
    this.acceptLink(ref)
    ref.acceptLink(this)
  }

  unlink(ref: Ref): void {
    this.extra?.links?.delete(ref as Cell | RefBase)
    if (ref instanceof Cell) ref.extra?.links?.delete(this)
    else foreign(ref).removeLink(this)
  }

  /** Records a link on this side only: the remote layer calls it for links made from another node. */
  acceptLink(ref: Cell | RefBase): void {
    const x = this.x
    if (x.links === null) x.links = new Set()
    x.links.add(ref)
  }

  /** Drops a link on this side only, when the other node cut it. */
  forgetLink(ref: Ref): void {
    this.extra?.links?.delete(ref as RefBase)
  }

  // ---- LocalActorHandle: what the remote layer tells an actor about actors of other nodes ----

  terminated(target: Ref, reason: StopReason, error?: unknown): void {
    this.extra?.watching?.delete(target as RefBase)
    this.enqueueSignal(new Terminated(target, reason, error))
  }

  exited(from: Ref, reason: StopReason | 'noproc', error?: unknown): void {
    this.extra?.links?.delete(from as RefBase)
    this.linkedExit(from, reason, error)
  }

  children(): Ref[] {
    return this.childList().map((c) => c.ref)
  }

  // ---- delivery ----

  enqueue(message: unknown, sender: unknown): void {
    const isolate = this.runtime.isolate
    this.enqueueOwned(isolate === null || this.status >= STOPPING ? message : isolate(message), sender)
  }

  /**
   * Queues a message nobody else holds, such as one just decoded from the wire: isolating it
   * would only cost time.
   */
  enqueueOwned(m: unknown, sender: unknown): void {
    if (this.status >= STOPPING) {
      this.runtime.deadLetter(this.ref, m, sender, 'stopped')
      return
    }
    let mb = this.mailbox
    if (mb === null) {
      mb = new Mailbox()
      this.mailbox = mb
    }
    const limits = this.template.limits
    if (mb.length >= limits.capacity) {
      if (limits.overflow !== 'drop-oldest') {
        this.runtime.deadLetter(this.ref, m, sender, 'mailbox-full', limits.capacity)
        return
      }
      this.evictOldest(mb, limits.capacity)
    } else if (mb.length >= limits.highWater) {
      this.highWater(mb.length + 1)
    }
    mb.push(m, sender)
    if (this.status === RUNNING && !this.busy && !this.scheduled) this.runtime.scheduler.schedule(this)
  }

  enqueueSignal(signal: Signal): void {
    if (this.status >= STOPPING) return
    let mb = this.mailbox
    if (mb === null) {
      mb = new Mailbox()
      this.mailbox = mb
    }
    mb.push(signal, SIGNAL_SENDER)
    if (this.status === RUNNING && !this.busy && !this.scheduled) this.runtime.scheduler.schedule(this)
  }

  /**
   * Queues a message for `send` or `ask`, honouring a bounded mailbox: under `backpressure` it
   * waits for room; under `fail` and `drop-newest` it is refused (a dead letter, and the waiting
   * side is told with `MailboxFullError`); under `drop-oldest` the oldest message makes room.
   * `to` is the ask's reply ref, or the callbacks of a `send`.
   */
  admit(message: unknown, to: AskRef | Settle, signal: AbortSignal | undefined): void {
    const ask = to instanceof AskRef ? to : undefined
    const limits = this.template.limits
    const queued = this.mailbox?.length ?? 0
    const waiting = this.extra?.roomWaiters?.length ?? 0
    if (this.status >= STOPPING) {
      this.enqueue(message, ask)
      if (ask === undefined) (to as Settle).reject(new ActorStoppedError(this.ref.address))
      return
    }
    if (queued + waiting < limits.capacity || limits.overflow === 'drop-oldest') {
      this.enqueue(message, ask)
      if (ask === undefined) (to as Settle).resolve()
      return
    }
    const isolate = this.runtime.isolate
    const m = isolate === null ? message : isolate(message)
    if (limits.overflow !== 'backpressure') {
      this.runtime.deadLetter(this.ref, m, ask, 'mailbox-full', limits.capacity)
      if (ask === undefined) (to as Settle).reject(new MailboxFullError(this.ref.address, limits.capacity))
      return
    }
    const x = this.x
    if (x.roomWaiters === null) x.roomWaiters = []
    const waiters = x.roomWaiters
    const waiter: RoomWaiter = ask
      ? { message: m, sender: ask, resolve: () => {}, reject: (e) => ask.fail(e) }
      : { message: m, sender: undefined, resolve: (to as Settle).resolve, reject: (to as Settle).reject }
    waiters.push(waiter)
    if (signal === undefined) return
    const onAbort = () => {
      const i = waiters.indexOf(waiter)
      if (i >= 0) waiters.splice(i, 1)
      waiter.reject(signal.reason)
    }
    if (signal.aborted) {
      onAbort()
      return
    }
    signal.addEventListener('abort', onAbort, { once: true })
    const resolve = waiter.resolve
    waiter.resolve = () => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }
  }

  /** Makes room under `drop-oldest`: the oldest user message goes; signals are never evicted. */
  private evictOldest(mb: Mailbox, capacity: number): void {
    for (let i = 0; i < mb.length; i++) {
      const sender = mb.senderAt(i)
      if (sender === SIGNAL_SENDER) continue
      const oldest = mb.messageAt(i)
      mb.removeAt(i)
      this.runtime.deadLetter(this.ref, oldest, sender, 'mailbox-full', capacity)
      return
    }
  }

  /** After handling messages: lets `send`ers waiting for room in, re-arms the high-water mark. */
  protected afterRun(mb: Mailbox): void {
    const x = this.extra
    if (x === null) return
    const waiters = x.roomWaiters
    if (waiters !== null) {
      const capacity = this.template.limits.capacity
      while (waiters.length > 0 && mb.length < capacity) {
        const w = waiters.shift()!
        mb.push(w.message, w.sender)
        w.resolve()
      }
    }
    if (x.highWaterHit && mb.length < this.template.limits.highWater / 2) x.highWaterHit = false
  }

  private highWater(size: number): void {
    const x = this.x
    if (x.highWaterHit) return
    x.highWaterHit = true
    this.log.warn({ size }, `mailbox of ${this.path} passed its high-water mark (${size} messages)`)
    if (this.runtime.inspecting) this.runtime.emit({ type: 'mailbox-high-water', ref: this.ref, size })
  }

  /** Schedules the actor if it can run and has messages. */
  wake(): void {
    if (
      this.status === RUNNING &&
      !this.busy &&
      !this.scheduled &&
      this.mailbox !== null &&
      this.mailbox.length > 0
    ) {
      this.runtime.scheduler.schedule(this)
    }
  }

  // ---- children ----

  spawnChild(behavior: Behavior<unknown, unknown>, options: SpawnOptions<unknown> = {}): Ref {
    if (this.status >= STOPPING) throw new ActorStoppedError(this.ref.address)
    if (typeof options !== 'object' || options === null)
      throw new TypeError('spawn options must be an object')
    if (options.in !== undefined) behavior = this.standInFor(behavior, options)
    else if (options.on !== undefined && options.on !== this.runtime.node) {
      throw new InvalidOptionError(
        'on',
        "a child starts on its parent's node; use system.spawn(definition, { on }) to start an actor on another node",
      )
    }
    const name = options.name
    if (name !== undefined) checkName(name)
    const template = templateOf(behavior, options.mailbox)
    const child = this.runtime.createCell(this, template, options.props, name)
    if (name !== undefined) this.runtime.names.register(name, child.ref)
    const last = this.lastChild
    if (last === null) this.firstChild = child
    else {
      last.nextSibling = child
      child.prevSibling = last
    }
    this.lastChild = child
    if (this.runtime.inspecting) this.runtime.emit({ type: 'spawned', ref: child.ref, parent: this.ref })
    child.begin()
    return child.ref
  }

  /** The local stand-in of an actor that runs on a new child node (`spawn(def, { in })`). */
  private standInFor(
    behavior: Behavior<unknown, unknown>,
    options: SpawnOptions<unknown>,
  ): Behavior<unknown, unknown> {
    const where = options.in
    if (where !== 'thread' && where !== 'process')
      throw new InvalidOptionError('in', `expected 'thread' or 'process', got ${String(where)}`)
    if (options.on !== undefined) {
      throw new InvalidOptionError(
        'in',
        "'in' starts the actor on a new child node and 'on' on an existing node: give only one of them",
      )
    }
    const hooks = this.runtime.childActors
    if (hooks === null) {
      throw new InvalidOptionError(
        'in',
        `this system (${this.runtime.node}) cannot start child nodes: start it with start() from 'troupe'`,
      )
    }
    return hooks.standIn({ behavior, in: where, modules: options.modules ?? [], props: options.props })
  }

  /** The live child with this name, if any. */
  childNamed(name: string): Cell | undefined {
    for (let c = this.firstChild; c !== null; c = c.nextSibling) if (c.name === name) return c
    return undefined
  }

  private childList(): Cell[] {
    const list: Cell[] = []
    for (let c = this.firstChild; c !== null; c = c.nextSibling) list.push(c)
    return list
  }

  private childTerminated(child: Cell): void {
    const { prevSibling: prev, nextSibling: next } = child
    if (prev === null) this.firstChild = next
    else prev.nextSibling = next
    if (next === null) this.lastChild = prev
    else next.prevSibling = prev
    child.prevSibling = null
    child.nextSibling = null
    const x = this.extra
    if (x !== null && x.afterChildren !== null && --x.pendingChildren === 0) {
      const next = x.afterChildren
      x.afterChildren = null
      next()
    }
  }

  private stopChildren(done: () => void): void {
    if (this.firstChild === null) {
      done()
      return
    }
    const kids = this.childList()
    const x = this.x
    x.pendingChildren = kids.length
    x.afterChildren = done
    // Last started stops first, as an Erlang supervisor does.
    for (let i = kids.length - 1; i >= 0; i--) kids[i]!.stopWith('stopped')
  }

  // ---- failure and supervision ----

  /** The actor's code threw: the asker (if any) gets the error, the supervisor decides. */
  fail(error: unknown): void {
    this.busy = false
    if (this.status >= SUSPENDED) {
      if (this.status < STOPPING) return
      this.log.error({ err: error }, `${this.path} failed while stopping`)
      return
    }
    const sender = this.sender
    if (sender instanceof RefBase) sender.failReply(error)
    this.status = SUSPENDED
    const parent = this.parentCell
    if (parent === null) {
      this.log.fatal({ err: error }, `guardian ${this.path} failed`)
      this.stopWith('failed', error)
      return
    }
    parent.supervise(this, error)
  }

  /** Decides for a failed child by this actor's supervision. */
  supervise(child: Cell, error: unknown): void {
    const supervision = this.supervisionOf()
    let directive: Directive
    try {
      directive = supervision.decide(error, child.ref)
      if (!directives.includes(directive)) throw new TypeError(`the decider returned ${String(directive)}`)
    } catch (deciderError) {
      this.runtime.reportHook(this.ref, 'decide', deciderError)
      directive = 'stop'
    }
    const guardian = this.parentCell === null
    if (directive === 'escalate' && guardian) directive = 'stop'
    if (this.runtime.inspecting) this.runtime.emit({ type: 'failed', ref: child.ref, error, directive })
    switch (directive) {
      case 'resume':
        child.log.warn({ err: error }, `${child.path} failed and resumes: ${describe(error)}`)
        child.status = RUNNING
        child.wake()
        return
      case 'stop':
        child.log.error({ err: error }, `${child.path} failed and is stopped: ${describe(error)}`)
        child.stopWith('failed', error)
        return
      case 'escalate':
        this.fail(error)
        return
      case 'restart':
        this.restartChild(child, error, supervision, guardian)
    }
  }

  private restartChild(child: Cell, error: unknown, supervision: Supervision, guardian: boolean): void {
    // The system's guardians count restarts per child (Akka's default); actors as supervisors
    // count them across their children (Erlang's intensity).
    const owner = guardian ? child.x : this.x
    if (owner.restartLog === null) owner.restartLog = []
    const log = owner.restartLog
    if (!allowRestart(log, supervision, Date.now())) {
      const { maxRestarts: restarts, withinMs } = supervision
      if (this.runtime.inspecting) {
        this.runtime.emit({
          type: 'intensity-exceeded',
          supervisor: this.ref,
          child: child.ref,
          restarts,
          withinMs,
        })
      }
      if (guardian) {
        child.log.error(
          { err: error },
          `${child.path} failed ${restarts + 1} times within ${withinMs} ms and is stopped: ${describe(error)}`,
        )
        log.length = 0
        child.stopWith('failed', error)
      } else {
        this.fail(new RestartIntensityError(this.path, restarts, withinMs, error))
      }
      return
    }
    const delay = backoffDelay(supervision, log.length)
    const restarts = log.length
    const cells = this.restartSet(child, supervision)
    // As OTP does: stop them one by one in reverse spawn order, then start them all in spawn order.
    const startAll = () => {
      for (const cell of cells) {
        cell.resumeAfterRestart(
          cell === child ? error : new CancelledError(`restarted with ${child.path}`, { cause: error }),
          restarts,
        )
      }
    }
    const suspendFrom = (i: number): void => {
      if (i < 0) {
        if (delay > 0) setTimeout(startAll, delay)
        else startAll()
        return
      }
      cells[i]!.suspendForRestart(() => suspendFrom(i - 1))
    }
    suspendFrom(cells.length - 1)
  }

  private restartSet(child: Cell, supervision: Supervision): Cell[] {
    if (supervision.strategy === 'one-for-one') return [child]
    const all = this.childList().filter((c) => c.status < STOPPING)
    if (supervision.strategy === 'one-for-all') return all
    const from = all.indexOf(child)
    return from < 0 ? [child] : all.slice(from)
  }

  protected supervisionOf(): Supervision {
    return this.template.supervision
  }

  /** Ends this incarnation for a restart: children stopped, `stopped('restart')` run; then `done`. */
  private suspendForRestart(done: () => void): void {
    this.status = SUSPENDED
    this.busy = false
    this.incarnation++
    this.abortSignal('restart')
    this.endIncarnation()
    this.stopChildren(() => this.runStoppedHook('restart', done))
  }

  private resumeAfterRestart(error: unknown, restarts: number): void {
    if (this.status !== SUSPENDED) return
    this.log.warn({ err: error }, `${this.path} restarted after failure: ${describe(error)}`)
    if (this.runtime.inspecting) this.runtime.emit({ type: 'restarted', ref: this.ref, error, restarts })
    this.status = RUNNING
    this.begin()
  }

  private abortSignal(why: string): void {
    const x = this.extra
    if (x !== null && x.controller !== null) {
      x.controller.abort(new CancelledError(`actor ${why}`))
      x.controller = null
    }
  }

  // ---- stopping ----

  /** Stops this actor: children first (depth first), then its `stopped` hook, then watchers are told. */
  stopWith(reason: StopReason, error?: unknown): void {
    if (this.status >= STOPPING) return
    this.status = STOPPING
    // An ask being handled gets no reply now: tell its asker at once.
    if (this.sender instanceof RefBase) this.sender.failReply(new ActorStoppedError(this.ref.address))
    this.busy = false
    this.incarnation++
    if (error !== undefined) this.x.exitError = error
    this.abortSignal('stopped')
    this.endIncarnation()
    if (this.firstChild === null && !this.hasStoppedHook()) this.terminate(reason)
    else this.stopChildren(() => this.runStoppedHook(reason, () => this.terminate(reason)))
  }

  /** Resolves once the actor has stopped. */
  whenStopped(): Promise<void> {
    if (this.status === STOPPED) return Promise.resolve()
    return new Promise((resolve) => {
      const x = this.x
      if (x.stopWaiters === null) x.stopWaiters = []
      x.stopWaiters.push(resolve)
    })
  }

  /** Registers a function told once when the actor stops (at once if it has). */
  onTerminated(listener: (terminated: Terminated) => void): () => void {
    if (this.status === STOPPED) {
      listener(new Terminated(this.ref, this.exitReason ?? 'stopped', this.extra?.exitError))
      return () => {}
    }
    const x = this.x
    if (x.watchers === null) x.watchers = new Set()
    const watchers = x.watchers
    watchers.add(listener)
    return () => watchers.delete(listener)
  }

  private terminate(reason: StopReason): void {
    this.status = STOPPED
    this.exitReason = reason
    if (typeof this.nameOrId === 'string') this.runtime.names.unregister(this.nameOrId, this.ref)
    const mb = this.mailbox
    if (mb !== null) {
      while (mb.length > 0) {
        const message = mb.peekMessage()
        const sender = mb.peekSender()
        mb.drop()
        this.runtime.deadLetter(this.ref, message, sender, 'stopped')
      }
    }
    const x = this.extra
    if (this.runtime.inspecting)
      this.runtime.emit({ type: 'stopped', ref: this.ref, reason, error: x?.exitError })
    if (x !== null) this.notifyTermination(x, reason)
    // Last, so that a parent waiting for its children finishes its own stop after theirs.
    this.parentCell?.childTerminated(this)
  }

  private notifyTermination(x: CellExtras, reason: StopReason): void {
    const error = x.exitError
    if (x.roomWaiters !== null) {
      for (const w of x.roomWaiters) w.reject(new ActorStoppedError(this.ref.address))
      x.roomWaiters = null
    }
    if (x.watching !== null) {
      for (const target of x.watching) {
        if (target instanceof Cell) target.extra?.watchers?.delete(this)
        else target.removeWatcher(this)
      }
      x.watching = null
    }
    if (x.watchers !== null) {
      const terminated = new Terminated(this.ref, reason, error)
      for (const w of x.watchers) {
        if (typeof w === 'function') w(terminated)
        else {
          w.extra?.watching?.delete(this)
          w.enqueueSignal(terminated)
        }
      }
      x.watchers = null
    }
    if (x.links !== null) {
      const links = x.links
      x.links = null
      const abnormal = reason === 'failed' || reason === 'node-down'
      for (const other of links) {
        if (other instanceof Cell) {
          other.extra?.links?.delete(this)
          if (abnormal) other.linkedExit(this, reason, error)
        } else {
          other.removeLink(this, abnormal ? { reason, error } : undefined)
        }
      }
    }
    if (x.stopWaiters !== null) {
      for (const resolve of x.stopWaiters) resolve()
      x.stopWaiters = null
    }
  }

  private linkedExit(other: Ref, reason: StopReason | 'noproc', error: unknown): void {
    if (this.status >= STOPPING) return
    if (this.template.trapExit) this.enqueueSignal(new Exit(other, reason, error))
    else if (this.status === SUSPENDED) this.stopWith('failed', new LinkedActorFailedError(other, error))
    else this.fail(new LinkedActorFailedError(other, error))
  }

  protected get x(): CellExtras {
    if (this.extra === null) this.extra = new CellExtras()
    return this.extra
  }
}

/** A ref of another node, which knows how to watch and link across nodes. */
function foreign(ref: Ref): RefBase {
  if (ref instanceof RefBase) return ref
  throw new TypeError(`${String(ref)} is not a Troupe ref`)
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
