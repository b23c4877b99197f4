import type { ActorDefinition } from './behavior.ts'
import { Cell, RUNNING, STOP_PENDING } from './cell/cell.ts'
import { BUSY, INCARNATION_SHIFT, STATUS_MASK } from './cell/cell-status.ts'
import type { StopReason } from './inspection.ts'
import { runAsActor } from './running-actor.ts'
import { SIGNAL_SENDER, type Signal } from './signals.ts'
import { SnapshotRequest } from './snapshot.ts'

type Definition = ActorDefinition<unknown, unknown, unknown>

/** A handler-style actor: `receive(state, message, ctx)` returns the next state. */
export class HandlerCell extends Cell {
  state: unknown = undefined

  private get definition(): Definition {
    return (this.template as { definition: Definition }).definition
  }

  begin(): void {
    const def = this.definition
    const incarnation = this.incarnation
    this.busy = true
    let started: void | Promise<void>
    try {
      this.state = def.init === undefined ? undefined : def.init(this.props, this)
      started = def.started?.(this.state, this)
    } catch (error) {
      this.fail(error)
      return
    }
    if (started instanceof Promise) {
      this.awaitStarted(started, incarnation)
      return
    }
    this.busy = false
    this.resume()
  }

  // The closures that wait on a promise live in their own methods: a closure in `begin` or `run`
  // would make V8 allocate a context for the variables it captures on every call (every spawn,
  // every message), whether or not a promise comes.
  private awaitStarted(started: Promise<void>, incarnation: number): void {
    started.then(
      () => this.settled(incarnation, this.state),
      (error) => incarnation === this.incarnation && this.fail(error),
    )
  }

  private awaitHandler(next: Promise<unknown>, incarnation: number): void {
    next.then(
      (state) => this.settled(incarnation, state),
      (error) => incarnation === this.incarnation && this.fail(error),
    )
  }

  private receiveAsActor(def: Definition, message: unknown): unknown {
    return runAsActor(this, () => def.receive(this.state, message, this))
  }

  run(batch: number): number {
    const mb = this.mailbox
    const ready = this.flags
    if ((ready & (STATUS_MASK | BUSY)) !== RUNNING || mb === null) return 0
    // While nothing but this turn touches the flags, one compare per message stands for the
    // checks of incarnation, status and busy.
    const busy = ready | BUSY
    const def = this.definition
    const runtime = this.runtime
    const asyncReceive = (this.template as { asyncReceive: boolean }).asyncReceive
    let handled = 0
    while (handled < batch && mb.length > 0) {
      const message = mb.take()
      handled++
      this.flags = busy
      let next: unknown
      try {
        if (mb.sender === SIGNAL_SENDER) {
          next = this.handleSignal(def, message as Signal | SnapshotRequest)
        } else {
          if (runtime.traceMessages)
            runtime.emit({ type: 'message', ref: this.ref, message, sender: this.sender })
          next = asyncReceive ? this.receiveAsActor(def, message) : def.receive(this.state, message, this)
        }
      } catch (error) {
        if (ready >>> INCARNATION_SHIFT === this.incarnation) this.fail(error)
        return handled
      }
      if (this.flags === busy && !(next instanceof Promise)) {
        this.flags = ready
        this.state = next
        continue
      }
      const incarnation = ready >>> INCARNATION_SHIFT
      if (incarnation !== this.incarnation) return handled
      if (next instanceof Promise) {
        this.awaitHandler(next, incarnation)
        return handled
      }
      this.busy = false
      this.state = next
      if (this.status !== RUNNING) {
        if (this.status === STOP_PENDING) this.stopWith('normal')
        return handled
      }
    }
    this.afterRun(mb)
    if (mb.length > 0) runtime.scheduler.schedule(this)
    return handled
  }

  protected runStoppedHook(reason: StopReason | 'restart', done: () => void): void {
    const hook = this.definition.stopped
    if (hook === undefined) {
      done()
      return
    }
    let result: void | Promise<void>
    try {
      result = hook(this.state, this, reason)
    } catch (error) {
      this.runtime.reportHook(this.ref, 'stopped', error)
      done()
      return
    }
    if (result instanceof Promise) {
      result.then(done, (error) => {
        this.runtime.reportHook(this.ref, 'stopped', error)
        done()
      })
    } else {
      done()
    }
  }

  protected endIncarnation(): void {}

  protected hasStoppedHook(): boolean {
    return this.definition.stopped !== undefined
  }

  private handleSignal(def: Definition, signal: Signal | SnapshotRequest): unknown {
    this.sender = undefined
    if (signal instanceof SnapshotRequest) {
      signal.answer(def, this.state)
      return this.state
    }
    this.current = signal
    return def.signal === undefined ? this.state : def.signal(this.state, signal, this)
  }

  /** An async handler or `started` hook of the current incarnation settled. */
  private settled(incarnation: number, state: unknown): void {
    if (incarnation !== this.incarnation) return
    this.busy = false
    this.state = state
    this.resume()
  }

  private resume(): void {
    if (this.status === STOP_PENDING) {
      this.stopWith('normal')
      return
    }
    if (this.mailbox !== null) this.afterRun(this.mailbox)
    this.wake()
  }
}
