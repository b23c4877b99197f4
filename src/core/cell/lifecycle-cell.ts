import { CancelledError } from '../../concurrency/errors.ts'
import type { Behavior, SpawnOptions } from '../behavior.ts'
import { CHILD_ACTORS } from '../core-extensions.ts'
import { ActorStoppedError, InvalidOptionError, LinkedActorFailedError } from '../errors.ts'
import type { StopReason } from '../inspection.ts'
import { checkName } from '../names.ts'
import { type Ref, RefBase } from '../ref.ts'
import { Exit, Terminated } from '../signals.ts'
import { templateOf } from '../template.ts'
import type { Cell } from './cell.ts'
import {
  BUSY,
  type CellExtras,
  EXIT_MASK,
  EXIT_SHIFT,
  exitReasons,
  FLAGS_LIMIT,
  INCARNATION_SHIFT,
  STATUS_MASK,
  STOPPED,
  STOPPING,
  SUSPENDED,
} from './cell-status.ts'
import { DeliveryCell } from './delivery-cell.ts'

/**
 * An actor's lifecycle (Akka's `Children` and `DeathWatch`): its children, watches and links, and
 * its stop: children first, depth first, then its `stopped` hook, then its watchers and links are told.
 */
export abstract class LifecycleCell extends DeliveryCell {
  /** Starts (or, after a restart, starts again) this incarnation. */
  abstract begin(): void
  /** The actor's code threw: its supervisor decides (see `SupervisingCell`). */
  abstract fail(error: unknown): void
  protected abstract runStoppedHook(reason: StopReason | 'restart', done: () => void): void
  protected abstract hasStoppedHook(): boolean
  /** The current incarnation ends (restart or stop): release what waits on it. */
  protected abstract endIncarnation(): void

  get status(): number {
    return this.flags & STATUS_MASK
  }

  set status(status: number) {
    this.flags = (this.flags & ~STATUS_MASK) | status
  }

  /** A handler, hook or (process actors) the function between receives holds the mailbox. */
  get busy(): boolean {
    return (this.flags & BUSY) !== 0
  }

  set busy(busy: boolean) {
    this.flags = busy ? this.flags | BUSY : this.flags & ~BUSY
  }

  /** Bumped at every restart and stop, so that a late result of an earlier incarnation is ignored. */
  get incarnation(): number {
    return this.flags >>> INCARNATION_SHIFT
  }

  protected nextIncarnation(): void {
    this.flags = (this.flags + (1 << INCARNATION_SHIFT)) % FLAGS_LIMIT
  }

  /** Why the actor stopped, once it has. */
  get exitReason(): StopReason | undefined {
    return exitReasons[(this.flags & EXIT_MASK) >>> EXIT_SHIFT]
  }

  watch(ref: Ref): void {
    const x = this.x
    if (x.watching === null) x.watching = new Set()
    if (!(ref instanceof LifecycleCell)) {
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
    if (ref instanceof LifecycleCell) ref.extra?.watchers?.delete(this)
    else foreign(ref).removeWatcher(this)
    this.extra?.watching?.delete(ref as Cell | RefBase)
  }

  link(ref: Ref): void {
    if (ref === this) return
    if (!(ref instanceof LifecycleCell)) {
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
    if (ref instanceof LifecycleCell) ref.extra?.links?.delete(this)
    else foreign(ref).removeLink(this)
  }

  get stopping(): boolean {
    return this.status >= STOPPING
  }

  get stopped(): boolean {
    return this.status === STOPPED
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

  spawnChild(behavior: Behavior<unknown, unknown>, options: SpawnOptions<unknown> = {}): Ref {
    if (this.status >= STOPPING) throw new ActorStoppedError(this.ref.address)
    if (typeof options !== 'object' || options === null)
      throw new InvalidOptionError('options', 'expected an object')
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
    // Every cell is a `Cell`: the classes under it are its concerns, never made on their own.
    const child = this.runtime.createCell(this as unknown as Cell, template, options.props, name)
    if (name !== undefined) this.runtime.names.register(name, child.ref)
    const first = this.firstChild
    if (first === null) {
      this.firstChild = child
      child.prevSibling = child
    } else {
      const last = first.prevSibling!
      last.nextSibling = child
      child.prevSibling = last
      first.prevSibling = child
    }
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
    const hooks = this.runtime.extensions.get(CHILD_ACTORS)
    if (hooks === undefined) {
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

  protected childList(): Cell[] {
    const list: Cell[] = []
    for (let c = this.firstChild; c !== null; c = c.nextSibling) list.push(c)
    return list
  }

  private childTerminated(child: LifecycleCell): void {
    const { prevSibling: prev, nextSibling: next } = child
    if (child === this.firstChild) {
      this.firstChild = next
      if (next !== null) next.prevSibling = prev
    } else {
      prev!.nextSibling = next
      if (next !== null) next.prevSibling = prev
      else this.firstChild!.prevSibling = prev
    }
    child.prevSibling = null
    child.nextSibling = null
    const x = this.extra
    if (x !== null && x.afterChildren !== null && --x.pendingChildren === 0) {
      const next = x.afterChildren
      x.afterChildren = null
      next()
    }
  }

  protected stopChildren(done: () => void): void {
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

  protected abortSignal(why: string): void {
    const x = this.extra
    if (x !== null && x.controller !== null) {
      x.controller.abort(new CancelledError(`actor ${why}`))
      x.controller = null
    }
  }

  /** Stops this actor: children first (depth first), then its `stopped` hook, then watchers are told. */
  stopWith(reason: StopReason, error?: unknown): void {
    if (this.status >= STOPPING) return
    this.status = STOPPING
    // An ask being handled gets no reply now: tell its asker at once.
    if (this.sender instanceof RefBase) this.sender.failReply(new ActorStoppedError(this.ref.address))
    this.busy = false
    this.nextIncarnation()
    if (error !== undefined) this.x.exitError = error
    this.abortSignal('stopped')
    this.endIncarnation()
    if (this.firstChild === null && !this.hasStoppedHook()) this.terminate(reason)
    else this.stopChildren(() => this.runStoppedHook(reason, () => this.terminate(reason)))
  }

  stopForGood(error: unknown): void {
    if (this.runtime.inspecting)
      this.runtime.emit({ type: 'failed', ref: this.ref, error, directive: 'stop' })
    const mailbox = this.mailbox
    for (let i = 0; mailbox !== null && i < mailbox.length; i++) {
      const sender = mailbox.senderAt(i)
      if (sender instanceof RefBase) sender.failReply(error)
    }
    this.stopWith('failed', error)
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
    this.flags =
      (this.flags & ~(STATUS_MASK | EXIT_MASK)) | STOPPED | (exitReasons.indexOf(reason) << EXIT_SHIFT)
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
        if (target instanceof LifecycleCell) target.extra?.watchers?.delete(this)
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
      // As in Erlang, a kill is abnormal: linked actors go down with it unless they trap exits.
      const abnormal = reason === 'failed' || reason === 'node-down' || reason === 'killed'
      for (const other of links) {
        if (other instanceof LifecycleCell) {
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
    else {
      const failure = new LinkedActorFailedError(other, error, reason === 'killed' ? 'killed' : 'failed')
      if (this.status === SUSPENDED) this.stopWith('failed', failure)
      else this.fail(failure)
    }
  }
}

/** A ref of another node, which knows how to watch and link across nodes. */
function foreign(ref: Ref): RefBase {
  if (ref instanceof RefBase) return ref
  throw new InvalidOptionError('ref', `expected a Troupe ref, got ${String(ref)}`)
}
