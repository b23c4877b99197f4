/**
 * Counts the events of a graph that are on their way: sent to an inbox and not yet handled. A
 * graph that stops waits for the count to reach zero, so that what is in flight is finished, not
 * dropped.
 */
export class InFlight {
  private count = 0
  private readonly waiting = new Set<() => void>()

  get size(): number {
    return this.count
  }

  add(): void {
    this.count++
  }

  done(): void {
    this.count--
    if (this.count === 0) for (const wake of [...this.waiting]) wake()
  }

  /** Resolves `true` once nothing is in flight, `false` if that takes longer than `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.waiting.delete(wake)
        resolve(true)
      }
      const timer = setTimeout(() => {
        this.waiting.delete(wake)
        resolve(false)
      }, timeoutMs)
      this.waiting.add(wake)
    })
  }
}
