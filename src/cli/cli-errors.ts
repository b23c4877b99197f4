import { TroupeError } from '../index.ts'
import { describeError as describe } from '../internal.ts'

/** A bad argument or option given to `troupe`: it prints the message and exits with code 2. */
export class UsageError extends TroupeError {}

/**
 * A command could not do its work for a reason outside its arguments (a node that cannot be
 * reached, a refused cookie, an actor that failed): `troupe` prints the message and exits with 1.
 */
export class CommandFailedError extends TroupeError {}

/** The exit code of a command that failed with `error`: 2 for bad arguments, 1 otherwise. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return error instanceof UsageError ? 2 : 1
}

/** One line that says what went wrong, for a person at a terminal: the message's first line. */
export function describeError(error: unknown): string {
  return describe(error, { name: false, firstLine: true })
}
