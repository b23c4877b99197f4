import { openCancelScope } from '../concurrency/cancel-scope.ts'
import { CancelledError } from '../concurrency/errors.ts'
import { type Nursery, openNursery } from '../concurrency/nursery.ts'
import { type Behavior, defineActor, type SpawnOptions } from './behavior.ts'
import type { Cell } from './cell.ts'
import type { Ref } from './ref.ts'
import type { ActorSystem } from './system.ts'

/** An actor started with `runInActor`: its ref and the value its function returns. */
export interface RunningActor<R> {
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
  ): RunningActor<R>
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

  runInActor<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => R | Promise<R>,
    args: A,
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
    return {
      ref,
      result: () => result,
      cancelActor: () => {
        cell.stopWith('stopped')
        return cell.whenStopped()
      },
    }
  }

  cancel(reason?: unknown): void {
    this.tasks.cancel(reason)
  }

  async finishRuns(): Promise<void> {
    await Promise.allSettled(this.runs)
  }

  stopDaemons(): void {
    for (const cell of this.daemons) cell.stopWith('stopped')
  }

  /** One nursery task per actor: it fails when the actor fails, and stops the actor when cancelled. */
  private track(cell: Cell): void {
    this.tasks.startSoon(
      (signal) =>
        new Promise<void>((resolve, reject) => {
          const stop = () => cell.stopWith('stopped')
          signal.addEventListener('abort', stop, { once: true })
          cell.onTerminated((t) => {
            signal.removeEventListener('abort', stop)
            if (t.reason === 'failed') reject(t.error)
            else resolve()
          })
        }),
    )
  }
}
