import type { Logger } from 'pino'
import { AskRef } from '../ask.ts'
import { ActorStoppedError, MailboxFullError } from '../errors.ts'
import { Mailbox } from '../mailbox.ts'
import { type AskOptions, type Ref, RefBase } from '../ref.ts'
import type { Runtime } from '../runtime.ts'
import { SIGNAL_SENDER, type Signal } from '../signals.ts'
import type { SnapshotRequest } from '../snapshot.ts'
import type { Template } from '../template.ts'
import type { Cell } from './cell.ts'
import {
  CellExtras,
  type RoomWaiter,
  RUNNABLE,
  RUNNING,
  type Settle,
  STATUS_MASK,
  STOPPING,
} from './cell-status.ts'

/**
 * An actor's delivery (Akka's `Dispatch`): its identity as a ref, its mailbox, and how a message
 * gets in (isolated, bounded by the overflow policy) and wakes the actor for its turn. Every field
 * of the cell is declared here, so that every cell has one shape.
 */
export abstract class DeliveryCell extends RefBase<unknown> {
  /**
   * Status, busy, scheduled (the scheduler's bit), exit reason and incarnation (see `STATUS_MASK`
   * and after); the lifecycle reads and writes them by their names.
   */
  flags = RUNNING
  mailbox: Mailbox | null = null
  // Children form an intrusive doubly linked list in spawn order: O(1) add and remove with no
  // per-child allocation, which a Set of 100k children does not give. The first child's
  // `prevSibling` is the last child, which saves the parent a field.
  firstChild: Cell | null = null
  prevSibling: Cell | null = null
  nextSibling: Cell | null = null
  /** The rarely used parts; `x` allocates them. */
  extra: CellExtras | null = null

  constructor(
    readonly runtime: Runtime,
    readonly parentCell: Cell | null,
    readonly template: Template,
    readonly props: unknown,
    /** The given name, or the id a `$…` name is made from when it is first asked for. */
    readonly nameOrId: string | number,
  ) {
    super()
  }

  /** One turn: handles up to `batch` messages; returns how many it handled. */
  abstract run(batch: number): number

  get ref(): this {
    return this
  }

  get address(): string {
    return `troupe://${this.runtime.node}${this.path}`
  }

  get name(): string {
    const n = this.nameOrId
    return typeof n === 'string' ? n : `$${n.toString(36)}`
  }

  get path(): string {
    return this.parentCell === null ? `/${this.name}` : `${this.parentCell.path}/${this.name}`
  }

  /** Who sent the message being handled; kept in the mailbox, which every actor that handles one has. */
  get sender(): Ref | undefined {
    return this.mailbox?.sender as Ref | undefined
  }

  set sender(sender: Ref | undefined) {
    this.ensureMailbox().sender = sender
  }

  /** The message (or signal) being handled. */
  get current(): unknown {
    return this.mailbox?.current
  }

  set current(message: unknown) {
    this.ensureMailbox().current = message
  }

  get log(): Logger {
    const x = this.x
    if (x.logger === null) x.logger = this.runtime.logger.child({ actor: this.path })
    return x.logger
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

  enqueue(message: unknown, sender: unknown): void {
    const isolate = this.runtime.isolate
    this.enqueueOwned(isolate === null || this.isStopping() ? message : isolate(message), sender)
  }

  /**
   * Queues a message nobody else holds, such as one just decoded from the wire: isolating it
   * would only cost time.
   */
  enqueueOwned(m: unknown, sender: unknown): void {
    if (this.isStopping()) {
      this.runtime.deadLetter(this.ref, m, sender, 'stopped')
      return
    }
    const mb = this.ensureMailbox()
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
    if ((this.flags & RUNNABLE) === 0) this.runtime.scheduler.schedule(this)
  }

  enqueueSignal(signal: Signal | SnapshotRequest): void {
    if (this.isStopping()) return
    this.ensureMailbox().push(signal, SIGNAL_SENDER)
    if ((this.flags & RUNNABLE) === 0) this.runtime.scheduler.schedule(this)
  }

  private ensureMailbox(): Mailbox {
    if (this.mailbox === null) this.mailbox = new Mailbox()
    return this.mailbox
  }

  private isStopping(): boolean {
    return (this.flags & STATUS_MASK) >= STOPPING
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
    if (this.isStopping()) {
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
    this.waitForRoom(m, ask, to, signal)
  }

  // Apart from admit(), whose every call (every ask) would otherwise allocate a context for what
  // these closures capture.
  private waitForRoom(
    m: unknown,
    ask: AskRef | undefined,
    to: AskRef | Settle,
    signal: AbortSignal | undefined,
  ): void {
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
    if ((this.flags & RUNNABLE) === 0 && this.mailbox !== null && this.mailbox.length > 0) {
      this.runtime.scheduler.schedule(this)
    }
  }

  get x(): CellExtras {
    if (this.extra === null) this.extra = new CellExtras()
    return this.extra
  }
}
