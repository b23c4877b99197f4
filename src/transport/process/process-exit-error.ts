import { TroupeError } from '../../concurrency/errors.ts'

/**
 * A child process exited while its connection was open, or before it said hello: the cause is
 * in the child. The message names the exit code or signal and ends with the last lines the child
 * wrote to stderr, which usually say why.
 */
export class ProcessExitError extends TroupeError {
  constructor(
    /** The child's process id. */
    readonly pid: number | undefined,
    /** The child's exit code, or `null` when a signal ended it. */
    readonly exitCode: number | null,
    /** The signal that ended the child, or `null` when it exited by itself. */
    readonly signal: NodeJS.Signals | null,
    /** The end of what the child wrote to stderr (at most a few KiB), `''` when nothing. */
    readonly stderrTail: string,
    /** Says when it exited: `'before it said hello'`, `'while connected'`. */
    when: string,
  ) {
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${exitCode}`
    const tail = stderrTail.trim()
    super(
      `child process ${pid ?? '(no pid)'} ${how} ${when}${tail === '' ? '' : `; stderr ends with:\n${lastLines(tail)}`}`,
    )
  }
}

function lastLines(text: string, count = 12, maxChars = 2000): string {
  const lines = text.split('\n').slice(-count).join('\n')
  return lines.length > maxChars ? lines.slice(-maxChars) : lines
}
