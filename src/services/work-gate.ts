/** One piece of work waiting at a {@link WorkGate}: run it, or refuse it when the gate closes. */
export interface GateJob {
  run(): Promise<void>
  refuse(): void
}

/**
 * Bounds the work of one service on this node: at most `concurrency` jobs run at once, at most
 * `maxQueued` wait (in arrival order), and anything beyond is turned away by {@link offer}.
 */
export class WorkGate {
  private running = 0
  private readonly waiting: (GateJob | undefined)[] = []
  private head = 0
  private idleWaiters: (() => void)[] = []

  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
  ) {}

  get inFlight(): number {
    return this.running
  }

  get queued(): number {
    return this.waiting.length - this.head
  }

  /** Starts the job, or queues it; `false` when the queue is full (the job is neither run nor kept). */
  offer(job: GateJob): boolean {
    if (this.running < this.concurrency) {
      this.start(job)
      return true
    }
    if (this.queued >= this.maxQueued) return false
    this.waiting.push(job)
    return true
  }

  /** Refuses every queued job, and resolves once the running ones have settled. */
  close(): Promise<void> {
    while (this.queued > 0) this.take().refuse()
    if (this.running === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private start(job: GateJob): void {
    this.running++
    // A job reports its own failures; the gate only needs to know it ended.
    job
      .run()
      .catch(() => {})
      .finally(() => this.finished())
  }

  private finished(): void {
    this.running--
    if (this.queued > 0) this.start(this.take())
    else if (this.running === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  private take(): GateJob {
    const job = this.waiting[this.head]!
    this.waiting[this.head++] = undefined
    // Compact once the consumed front outweighs what is left.
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head)
      this.head = 0
    }
    return job
  }
}
