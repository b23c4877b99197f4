import { TroupeError } from '../../concurrency/errors.ts'

/**
 * A thread exited while its connection was open (or before it said hello): it threw an uncaught
 * error (in `cause`), called `process.exit`, or was terminated. The cause is in the thread.
 */
export class ThreadExitError extends TroupeError {
  constructor(
    /** The thread's node name. */
    readonly node: string,
    /** The thread's exit code. */
    readonly exitCode: number,
    /** The uncaught error that ended the thread, if any. */
    uncaught?: unknown,
  ) {
    const why =
      uncaught === undefined
        ? ''
        : `: uncaught ${uncaught instanceof Error ? `${uncaught.name}: ${uncaught.message}` : String(uncaught)}`
    super(
      `thread ${node} exited with code ${exitCode}${why}`,
      uncaught === undefined ? undefined : { cause: uncaught },
    )
  }
}
