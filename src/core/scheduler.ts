import { outsideAmbient } from '../concurrency/ambient-storage.ts'
import { running } from './running-actor.ts'
/** Scheduler settings of a system. */
export interface SchedulerOptions {
  /**
   * Most messages one actor handles in one turn before the next actor with work runs.
   * @default 64
   */
  batch?: number
  /**
   * Milliseconds of actor work after which the scheduler yields to the event loop, so that
   * I/O and timers are never starved by busy actors.
   * @default 5
   */
  sliceMs?: number
}

/** The bit of {@link Runnable.flags} that says the actor is in the run queue; the others are the actor's. */
export const SCHEDULED = 0b1_0000

/** What the scheduler runs: an actor with work. */
export interface Runnable {
  /** Bit flags; the scheduler sets and clears {@link SCHEDULED} (a plain field: no accessor on the hot path). */
  flags: number
  /** Handles up to `batch` messages; returns how many it handled. */
  run(batch: number): number
}

const CLOCK_EVERY_MESSAGES = 128
const CLOCK_EVERY_RUNS = 32
// Node 20's queueMicrotask makes an async resource per call; a resolved promise's then does not.
const resolved = Promise.resolve()

/**
 * One run queue of actors with work. Turns start in a microtask (low latency for a message told
 * from outside), and a turn that exceeds its time slice continues after the event loop has run,
 * in `setImmediate`. The slice is counted across microtask turns until the event loop gets its
 * turn, so chains of promises cannot starve it either.
 */
export class Scheduler {
  private queue: (Runnable | undefined)[] = new Array(1024)
  private head = 0
  private size = 0
  private drainPending = false
  private sliceStart = -1
  private yielded = false
  private runs = 0
  private handled = 0
  private readonly batch: number
  private readonly sliceMs: number

  constructor(options: SchedulerOptions = {}) {
    this.batch = options.batch ?? 64
    this.sliceMs = options.sliceMs ?? 5
  }

  schedule(actor: Runnable): void {
    actor.flags |= SCHEDULED
    let queue = this.queue
    if (this.size === queue.length) queue = this.grow()
    queue[(this.head + this.size) & (queue.length - 1)] = actor
    this.size++
    if (!this.drainPending) {
      this.drainPending = true
      if (!this.yielded) resolved.then(this.drainInRoot)
    }
  }

  // Actors run outside the ambient context of whoever scheduled the turn: the cancel scope of a
  // sender must not become the actor's.
  private readonly drainInRoot = (): void => outsideAmbient(this.drain)
  private readonly endSliceInRoot = (): void => outsideAmbient(this.endSlice)

  private readonly drain = (): void => {
    if (this.sliceStart < 0) {
      this.sliceStart = performance.now()
      setImmediate(this.endSliceInRoot)
    }
    const batch = this.batch
    while (this.size > 0) {
      // The counters live on the scheduler: a chain of promises may start one drain per message,
      // and the slice must still end.
      if (++this.runs >= CLOCK_EVERY_RUNS || this.handled >= CLOCK_EVERY_MESSAGES) {
        this.runs = 0
        this.handled = 0
        if (performance.now() - this.sliceStart >= this.sliceMs) {
          this.yielded = true
          running.actor = undefined
          return
        }
      }
      const mask = this.queue.length - 1
      const actor = this.queue[this.head]!
      this.queue[this.head] = undefined
      this.head = (this.head + 1) & mask
      this.size--
      actor.flags &= ~SCHEDULED
      running.actor = actor
      this.handled += actor.run(batch)
    }
    running.actor = undefined
    this.drainPending = false
  }

  /** The event loop has had its turn: a new slice starts, and a yielded drain goes on. */
  private readonly endSlice = (): void => {
    this.sliceStart = -1
    this.runs = 0
    this.handled = 0
    if (this.yielded) {
      this.yielded = false
      this.drain()
    }
  }

  private grow(): (Runnable | undefined)[] {
    const old = this.queue
    const next: (Runnable | undefined)[] = new Array(old.length * 2)
    for (let k = 0; k < this.size; k++) next[k] = old[(this.head + k) & (old.length - 1)]
    this.queue = next
    this.head = 0
    return next
  }
}
