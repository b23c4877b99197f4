import { openCancelScope } from '../concurrency/cancel-scope.ts'
import { CancelledError } from '../concurrency/errors.ts'
import { type Nursery, openNursery } from '../concurrency/nursery.ts'
import type { ActorPortal } from './actor-portal.ts'
import { type Behavior, defineActor, type SpawnOptions } from './behavior.ts'
import type { Cell } from './cell/cell.ts'
import { CHILD_RUNNER, type ChildPortal, type ChildRunner, PORTALS } from './core-extensions.ts'
import { InvalidOptionError } from './errors.ts'
import type { ExposableFunction, FunctionRef, RunResult } from './function-ref.ts'
import type { Ref } from './ref.ts'
import type { ActorSystem } from './system.ts'

/**
 * An actor started with `runInActor` (tractor's `run_in_actor` portal): a portal to the actor
 * (tell, ask, and `run`, `stream`, `open` of the functions its node exposes), with the value its
 * function returns.
 */
export interface RunningActor<R> extends ActorPortal {
  readonly ref: Ref
  /** Resolves with the function's return value; rejects with its error or the cancellation. */
  result(): Promise<R>
  /** Stops the actor; its `result()` rejects with a `CancelledError`. Resolves once it has stopped. */
  cancelActor(): Promise<void>
}

/** The handle a `system.nursery` body gets to start actors in the scope. */
export interface ActorNursery {
  /** Aborts when the nursery is cancelled: by `cancel()`, a failure, or from outside. */
  readonly signal: AbortSignal
  /**
   * Starts a daemon actor that lives until the nursery ends (then it is stopped) or is cancelled.
   * If it fails, the nursery cancels everything and throws its error.
   */
  spawn<M, P = undefined>(behavior: Behavior<M, P>, options?: SpawnOptions<P>): Ref<M>
  /**
   * Runs `fn(...args)` in a new actor named `name`, which ends when `fn` returns. Inside `fn` the
   * actor's cancellation is the ambient signal (`currentSignal()`).
   */
  runInActor<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => R | Promise<R>,
    args: A,
    options?: { in?: 'local' },
  ): RunningActor<R>
  /**
   * Runs an exposed function (`expose(import.meta.url, { fn })`) in a new actor on a new child
   * node in a worker thread or a child process, which loads the function's module; the node
   * stops when the function returns. A throw arrives as `RemoteActorError`; cancelling the
   * nursery stops the child (gracefully, then by force).
   */
  runInActor<F extends ExposableFunction>(
    name: string,
    fn: FunctionRef<F>,
    args: Parameters<F>,
    options: { in: 'thread' | 'process' },
  ): RunningActor<RunResult<F>>
  /**
   * Starts a daemon actor named `name` on a new child node (tractor's `start_actor`) that loads the
   * modules of `expose` (what `expose(import.meta.url, …)` returned); the portal runs and streams
   * their functions. It lives until `cancelActor()` or the end of the nursery.
   */
  startActor(
    name: string,
    options: {
      expose: readonly Readonly<Record<string, FunctionRef>>[]
      in: 'thread' | 'process'
      data?: unknown
    },
  ): Promise<ChildPortal>
  /** Stops every actor of the nursery; the nursery then rejects with the cancellation. */
  cancel(reason?: unknown): void
}

/** Actors of the nursery are not restarted: a failure is the nursery's failure. */
const NurseryScope = defineActor<never>({
  receive: (state, _message, ctx) => {
    ctx.unhandled()
    return state
  },
  supervision: { decide: () => 'stop' },
})

export async function openActorNursery<T>(
  system: ActorSystem,
  body: (nursery: ActorNursery) => Promise<T>,
  options: { signal?: AbortSignal } = {},
): Promise<T> {
  const scope = system.spawn(NurseryScope)
  const scopeCell = scope as Cell
  try {
    return await openNursery(async (tasks) => {
      const handle = new NurseryHandle(scopeCell, tasks)
      const value = await body(handle)
      await handle.finishRuns()
      handle.stopDaemons()
      return value
    }, options)
  } finally {
    await system.stop(scope)
  }
}

class NurseryHandle implements ActorNursery {
  private readonly runs: Promise<unknown>[] = []
  private readonly daemons: Cell[] = []
  private readonly childDaemons: ChildPortal[] = []

  constructor(
    private readonly scope: Cell,
    private readonly tasks: Nursery,
  ) {}

  get signal(): AbortSignal {
    return this.tasks.signal
  }

  spawn<M, P = undefined>(behavior: Behavior<M, P>, options?: SpawnOptions<P>): Ref<M> {
    const ref = this.scope.spawn(behavior, options)
    const cell = ref as unknown as Cell
    this.daemons.push(cell)
    this.track(cell)
    return ref
  }

  runInActor<R>(
    name: string,
    fn: ((...args: never[]) => unknown) | FunctionRef,
    args: readonly unknown[],
    options: { in?: 'local' | 'thread' | 'process' } = {},
  ): RunningActor<R> {
    const where = options.in ?? 'local'
    if (where !== 'local') return this.runInChild<R>(name, fn as FunctionRef, args, where)
    if (typeof fn !== 'function') {
      throw new InvalidOptionError(
        'fn',
        "a function to run here; run an exposed function with { in: 'thread' } or 'process'",
      )
    }
    return this.runHere<R>(name, fn as (...args: unknown[]) => R | Promise<R>, args as unknown[])
  }

  async startActor(
    name: string,
    options: {
      expose: readonly Readonly<Record<string, FunctionRef>>[]
      in: 'thread' | 'process'
      data?: unknown
    },
  ): Promise<ChildPortal> {
    const modules = [
      ...new Set(options.expose.flatMap((exposed) => Object.values(exposed).map((fn) => fn.module))),
    ]
    const portal = await this.runner().start({ name, modules, in: options.in, data: options.data })
    this.childDaemons.push(portal)
    this.tasks.startSoon(async (signal) => {
      const forget = whenAborted(signal, () => void portal.cancelActor())
      try {
        const t = await this.scope.system.watch(portal)
        // Its node ends when the daemon is cancelled or the nursery closes: that is no failure.
        if (t.reason === 'failed') throw t.error
      } finally {
        forget()
      }
    })
    return portal
  }

  private runner(): ChildRunner {
    const runner = this.scope.runtime.extensions.get(CHILD_RUNNER)
    if (runner === undefined) throw new InvalidOptionError('in', 'this system cannot start child nodes')
    return runner
  }

  private runInChild<R>(
    name: string,
    fn: FunctionRef,
    args: readonly unknown[],
    where: 'thread' | 'process',
  ): RunningActor<R> {
    const runner = this.runner()
    if (
      typeof fn !== 'object' ||
      fn === null ||
      typeof fn.module !== 'string' ||
      typeof fn.name !== 'string'
    ) {
      throw new InvalidOptionError('fn', 'expected an exposed function: expose(import.meta.url, { fn }).fn')
    }
    const run = runner.run({ name, fn, args, in: where })
    let stoppedByUser = false
    // After cancelActor the run ends as cancelled, whatever its function does next (as a local run).
    const result = run.result.catch((error: unknown) => {
      if (stoppedByUser && !(error instanceof CancelledError)) {
        throw new CancelledError(`${name} was cancelled`, { cause: error })
      }
      throw error
    }) as Promise<R>
    result.catch(() => {})
    this.runs.push(result)
    const cancelActor = () => {
      stoppedByUser = true
      return run.cancel()
    }
    this.tasks.startSoon(async (signal) => {
      const forget = whenAborted(signal, () => void run.cancel())
      try {
        await result
      } catch (error) {
        // A run this nursery (or cancelActor) called off is not a failure; a failure that lands
        // while the nursery is cancelling still is.
        if ((signal.aborted || stoppedByUser) && error instanceof CancelledError) return
        throw error
      } finally {
        forget()
      }
    })
    return this.running(run.ref, result, cancelActor)
  }

  private runHere<R>(
    name: string,
    fn: (...args: unknown[]) => R | Promise<R>,
    args: unknown[],
  ): RunningActor<R> {
    let settle!: { resolve: (value: R) => void; reject: (error: unknown) => void }
    const result = new Promise<R>((resolve, reject) => {
      settle = { resolve, reject }
    })
    result.catch(() => {})
    const ref = this.scope.spawn<never>(
      async (self) => settle.resolve(await openCancelScope(() => fn(...args), { signal: self.signal })),
      { name },
    )
    const cell = ref as Cell
    cell.onTerminated((t) => {
      if (t.reason === 'failed') settle.reject(t.error)
      else settle.reject(new CancelledError(`${name} was stopped before it returned`))
    })
    this.runs.push(result)
    this.track(cell)
    return this.running(ref, result, () => {
      cell.stopWith('stopped')
      return cell.whenStopped()
    })
  }

  cancel(reason?: unknown): void {
    this.tasks.cancel(reason)
  }

  private running<R>(ref: Ref, result: Promise<R>, cancelActor: () => Promise<void>): RunningActor<R> {
    return Object.assign(this.scope.runtime.extensions.require(PORTALS)(ref), {
      ref,
      result: () => result,
      cancelActor,
    })
  }

  async finishRuns(): Promise<void> {
    await Promise.allSettled(this.runs)
  }

  stopDaemons(): void {
    for (const cell of this.daemons) cell.stopWith('stopped')
    for (const portal of this.childDaemons) void portal.cancelActor()
  }

  /** One nursery task per actor: it fails when the actor fails, and stops the actor when cancelled. */
  private track(cell: Cell): void {
    this.tasks.startSoon(
      (signal) =>
        new Promise<void>((resolve, reject) => {
          const forget = whenAborted(signal, () => cell.stopWith('stopped'))
          cell.onTerminated((t) => {
            forget()
            if (t.reason === 'failed') reject(t.error)
            else resolve()
          })
        }),
    )
  }
}

/**
 * Runs `fn` when `signal` aborts, or now if it has: a task started after its nursery was cancelled
 * starts with an aborted signal. Returns what stops listening.
 */
function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn()
    return () => {}
  }
  signal.addEventListener('abort', fn, { once: true })
  return () => signal.removeEventListener('abort', fn)
}
