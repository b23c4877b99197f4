import { CancelledError } from '../../concurrency/errors.ts'
import type { Behavior, SpawnOptions } from '../behavior.ts'
import type { ActorContext } from '../context.ts'
import type { LocalActor } from '../delivery.ts'
import type { Ref } from '../ref.ts'
import type { ActorSystem } from '../system.ts'
import { RUNNING, STOP_PENDING, STOPPING } from './cell-status.ts'
import { SupervisingCell } from './supervising-cell.ts'

export { RUNNING, STOP_PENDING, STOPPED, STOPPING, SUSPENDED, type Watcher } from './cell-status.ts'

/**
 * One actor: its mailbox, state, children and lifecycle, by concern: delivery (`DeliveryCell`),
 * lifecycle with watch and link (`LifecycleCell`), supervision (`SupervisingCell`). The cell is also
 * the actor's ref and its context (`ctx`), which saves two objects per actor (a million live actors
 * spend most of their time in the garbage collector); the `Ref` and `ActorContext` types show only
 * the public parts.
 */
export abstract class Cell extends SupervisingCell implements ActorContext<unknown>, LocalActor {
  override equals(other: Ref<unknown>): boolean {
    return other === this || (!(other instanceof Cell) && other.address === this.address)
  }

  /** What `console.log` and test failures show: the address, not the whole actor. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Ref(${this.address})`
  }

  get self(): Ref<unknown> {
    return this
  }

  get parent(): Ref | undefined {
    return this.parentCell?.ref
  }

  get system(): ActorSystem {
    return this.runtime.system
  }

  get signal(): AbortSignal {
    const x = this.x
    if (x.controller === null) {
      x.controller = new AbortController()
      if (this.status >= STOPPING) x.controller.abort(new CancelledError('actor stopped'))
    }
    return x.controller.signal
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
}
