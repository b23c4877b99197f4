/** One promise for everyone waiting for a connection's queued writes to drain. */
export class DrainSignal {
  private waiting: { promise: Promise<void>; resolve: () => void } | undefined

  /** Resolves at the next `release()`. */
  wait(): Promise<void> {
    if (this.waiting === undefined) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      this.waiting = { promise, resolve }
    }
    return this.waiting.promise
  }

  /** The writes drained (or the connection closed): lets every waiter go. */
  release(): void {
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.resolve()
  }
}
