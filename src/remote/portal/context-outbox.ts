/** The sending side of one end of a context: a value goes out only with credit; `send` waits for it. */
export class ContextOutbox {
  private readonly waiting: { value: unknown; resolve: () => void; reject: (error: unknown) => void }[] = []
  private closed: { error: unknown } | undefined

  constructor(
    private credit: number,
    private readonly emit: (value: unknown) => void,
  ) {}

  send(value: unknown): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(this.closed.error)
    if (this.waiting.length === 0 && this.credit > 0) {
      this.credit--
      this.emit(value)
      return this.sent()
    }
    return new Promise((resolve, reject) => this.waiting.push({ value, resolve, reject }))
  }

  grant(n: number): void {
    this.credit += n
    while (this.credit > 0 && this.closed === undefined) {
      const next = this.waiting.shift()
      if (next === undefined) return
      this.credit--
      this.emit(next.value)
      this.sent().then(next.resolve, next.reject)
    }
  }

  /** How a value that went out fared: one too large for a frame is refused at once, which ends the context. */
  private sent(): Promise<void> {
    const closed = this.closed
    return closed === undefined ? Promise.resolve() : Promise.reject(closed.error)
  }

  /** Sends from now on (and those still waiting for credit) reject with `error`. */
  close(error: unknown): void {
    if (this.closed !== undefined) return
    this.closed = { error }
    for (const waiter of this.waiting.splice(0)) waiter.reject(error)
  }
}
