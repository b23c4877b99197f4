/** What every command is given by `main`. */
export interface CliContext {
  /** Aborts at SIGINT or SIGTERM: the command stops its node, closes its connections and returns. */
  readonly interrupted: AbortSignal
  /** Writes one line to stdout. */
  print(line: string): void
}

/** Resolves when `signal` aborts (at once if it has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
