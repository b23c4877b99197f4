import type { Logger } from 'pino'
import { CancelledError, TroupeError } from '../concurrency/errors.ts'
import type { Behavior, ProcessFunction, SpawnOptions } from './behavior.ts'
import { Cell, RUNNING, STOP_PENDING, STOPPING } from './cell/cell.ts'
import type { ProcessContext, ReceiveOptions } from './context.ts'
import { ActorStoppedError, ReceiveTimeoutError } from './errors.ts'
import type { Ref } from './ref.ts'
import { runAsActor } from './running-actor.ts'
import { SIGNAL_SENDER } from './signals.ts'
import type { ActorSystem } from './system.ts'

interface Waiter {
  match: ((message: unknown) => boolean) | undefined
  resolve: (message: unknown) => void
  reject: (error: unknown) => void
  /** Messages already found not to match: only newer ones are tried on the next run. */
  scanned: number
  timer: NodeJS.Timeout | undefined
}

/** A process-style actor: an async function that takes messages with `self.receive`. */
export class ProcessCell extends Cell {
  private waiter: Waiter | null = null

  begin(): void {
    this.busy = true
    const incarnation = this.incarnation
    const self = new ProcessSelf(this, incarnation)
    let result: Promise<unknown>
    try {
      const run = (this.template as { run: ProcessFunction<unknown, unknown> }).run
      result = runAsActor(this, () => run(self, this.props))
    } catch (error) {
      this.fail(error)
      return
    }
    Promise.resolve(result).then(
      () => incarnation === this.incarnation && this.stopWith('normal'),
      (error) => incarnation === this.incarnation && this.fail(error),
    )
  }

  receive(
    incarnation: number,
    match: ((m: unknown) => boolean) | undefined,
    options?: ReceiveOptions,
  ): Promise<unknown> {
    if (incarnation !== this.incarnation || this.status >= STOPPING) {
      return Promise.reject(new CancelledError(`${this.path} is no longer running this incarnation`))
    }
    if (this.status === STOP_PENDING) {
      this.stopWith('normal')
      return Promise.reject(new CancelledError(`${this.path} stopped`))
    }
    if (this.waiter !== null) {
      return Promise.reject(new TroupeError(`${this.path} called receive while another receive was waiting`))
    }
    const timeout = options?.timeout
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve, reject, scanned: 0, timer: undefined }
      if (timeout !== undefined) {
        waiter.timer = setTimeout(() => {
          if (this.waiter !== waiter) return
          this.release(waiter)
          reject(new ReceiveTimeoutError(this.path, timeout))
        }, timeout)
      }
      this.waiter = waiter
      this.busy = false
      this.wake()
    })
  }

  run(): number {
    const waiter = this.waiter
    const mb = this.mailbox
    if (waiter === null || mb === null || this.status !== RUNNING) return 0
    for (let i = waiter.scanned; i < mb.length; i++) {
      const message = mb.messageAt(i)
      if (waiter.match !== undefined) {
        let matched: boolean
        try {
          matched = waiter.match(message)
        } catch (error) {
          this.release(waiter)
          waiter.reject(error)
          return 1
        }
        if (!matched) continue
      }
      const sender = mb.senderAt(i)
      mb.removeAt(i)
      mb.taken++
      this.release(waiter)
      this.sender = sender === SIGNAL_SENDER ? undefined : (sender as Ref | undefined)
      this.current = message
      if (this.runtime.traceMessages)
        this.runtime.emit({ type: 'message', ref: this.ref, message, sender: this.sender })
      this.afterRun(mb)
      waiter.resolve(message)
      return 1
    }
    waiter.scanned = mb.length
    return 0
  }

  protected runStoppedHook(_reason: unknown, done: () => void): void {
    done()
  }

  protected hasStoppedHook(): boolean {
    return false
  }

  protected endIncarnation(): void {
    const waiter = this.waiter
    if (waiter === null) return
    this.release(waiter)
    waiter.reject(new CancelledError(`${this.path} ${this.status >= STOPPING ? 'stopped' : 'is restarting'}`))
  }

  private release(waiter: Waiter): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer)
    this.waiter = null
    this.busy = true
  }
}

/**
 * The `self` of one incarnation of a process actor. Each incarnation has its own, so that the
 * function of a crashed incarnation cannot take messages from the restarted one.
 */
class ProcessSelf implements ProcessContext<unknown> {
  constructor(
    private readonly cell: ProcessCell,
    private readonly incarnation: number,
  ) {}

  get self(): Ref {
    return this.cell.ref
  }
  get parent(): Ref | undefined {
    return this.cell.parent
  }
  get system(): ActorSystem {
    return this.cell.system
  }
  get sender(): Ref | undefined {
    return this.cell.sender
  }
  get signal(): AbortSignal {
    if (this.incarnation !== this.cell.incarnation)
      return AbortSignal.abort(new ActorStoppedError(this.cell.ref.address))
    return this.cell.signal
  }
  get log(): Logger {
    return this.cell.log
  }
  receive(match?: (message: unknown) => boolean, options?: ReceiveOptions): Promise<never> {
    return this.cell.receive(this.incarnation, match, options) as Promise<never>
  }
  reply(value: unknown): void {
    this.cell.reply(value)
  }
  unhandled(): void {
    this.cell.unhandled()
  }
  spawn<C, P = undefined>(behavior: Behavior<C, P>, options?: SpawnOptions<P>): Ref<C> {
    return this.cell.spawn(behavior, options)
  }
  /** Stops a child, or this actor at once (its function's later receives reject). */
  stop(ref?: Ref): void {
    if (ref === undefined || ref.equals(this.cell.ref)) this.cell.stopWith('normal')
    else this.cell.stop(ref)
  }
  watch(ref: Ref): void {
    this.cell.watch(ref)
  }
  unwatch(ref: Ref): void {
    this.cell.unwatch(ref)
  }
  link(ref: Ref): void {
    this.cell.link(ref)
  }
  unlink(ref: Ref): void {
    this.cell.unlink(ref)
  }
  children(): Ref[] {
    return this.cell.children()
  }
}
