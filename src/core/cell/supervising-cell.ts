import { CancelledError } from '../../concurrency/errors.ts'
import { describeError } from '../describe-error.ts'
import { InvalidOptionError, RestartIntensityError } from '../errors.ts'
import type { Directive } from '../inspection.ts'
import { RefBase } from '../ref.ts'
import { allowRestart, backoffDelay, type Supervision } from '../supervision.ts'
import type { Cell } from './cell.ts'
import { RUNNING, STOPPING, SUSPENDED } from './cell-status.ts'
import { LifecycleCell } from './lifecycle-cell.ts'

const directives: readonly Directive[] = ['restart', 'resume', 'stop', 'escalate']

/**
 * An actor's supervision (Akka's `FaultHandling`): a failure suspends it and asks its parent, which
 * resumes, restarts (with intensity and backoff, by strategy), stops or escalates.
 */
export abstract class SupervisingCell extends LifecycleCell {
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

  /**
   * A restart asked from outside (`system.restart`): the supervisor restarts this actor as it
   * restarts a failed child, with `reason` as the failure (its strategy, intensity and backoff
   * apply). False when the actor is not running (failed and waiting, stopping, or a guardian).
   */
  restartByRequest(reason: CancelledError): boolean {
    const parent = this.parentCell
    if (parent === null || this.status !== RUNNING) return false
    this.status = SUSPENDED
    parent.restartChild(this, reason, parent.supervisionOf(), parent.parentCell === null)
    return true
  }

  /** Decides for a failed child by this actor's supervision. */
  supervise(child: SupervisingCell, error: unknown): void {
    const supervision = this.supervisionOf()
    let directive: Directive
    try {
      directive = supervision.decide(error, child.ref)
      if (!directives.includes(directive))
        throw new InvalidOptionError('decide', `returned ${String(directive)}, which is not a directive`)
    } catch (deciderError) {
      this.runtime.reportHook(this.ref, 'decide', deciderError)
      directive = 'stop'
    }
    const guardian = this.parentCell === null
    if (directive === 'escalate' && guardian) directive = 'stop'
    if (this.runtime.inspecting) this.runtime.emit({ type: 'failed', ref: child.ref, error, directive })
    switch (directive) {
      case 'resume':
        child.log.warn({ err: error }, `${child.path} failed and resumes: ${describeError(error)}`)
        child.status = RUNNING
        child.wake()
        return
      case 'stop':
        child.log.error({ err: error }, `${child.path} failed and is stopped: ${describeError(error)}`)
        child.stopWith('failed', error)
        return
      case 'escalate':
        this.fail(error)
        return
      case 'restart':
        this.restartChild(child, error, supervision, guardian)
    }
  }

  private restartChild(
    child: SupervisingCell,
    error: unknown,
    supervision: Supervision,
    guardian: boolean,
  ): void {
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
          `${child.path} failed ${restarts + 1} times within ${withinMs} ms and is stopped: ${describeError(error)}`,
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

  private restartSet(child: SupervisingCell, supervision: Supervision): SupervisingCell[] {
    if (supervision.strategy === 'one-for-one') return [child]
    const all = this.childList().filter((c) => c.status < STOPPING)
    if (supervision.strategy === 'one-for-all') return all
    const from = all.indexOf(child as Cell)
    return from < 0 ? [child] : all.slice(from)
  }

  protected supervisionOf(): Supervision {
    return this.template.supervision
  }

  /** Ends this incarnation for a restart: children stopped, `stopped('restart')` run; then `done`. */
  private suspendForRestart(done: () => void): void {
    this.status = SUSPENDED
    this.busy = false
    this.nextIncarnation()
    this.abortSignal('restart')
    this.endIncarnation()
    this.stopChildren(() => this.runStoppedHook('restart', done))
  }

  private resumeAfterRestart(error: unknown, restarts: number): void {
    if (this.status !== SUSPENDED) return
    this.log.warn({ err: error }, `${this.path} restarted after failure: ${describeError(error)}`)
    if (this.runtime.inspecting) this.runtime.emit({ type: 'restarted', ref: this.ref, error, restarts })
    this.status = RUNNING
    this.begin()
  }
}
