import {
  ActorStoppedError,
  AskTimeoutError,
  InvalidOptionError,
  MailboxFullError,
  NameTakenError,
  NodeDownError,
  NoSnapshotError,
  RemoteActorError,
  TimeoutError,
  UnhandledMessageError,
} from '../index.ts'
import { describeError } from '../internal.ts'
import { HttpProblem } from './security/problem.ts'

/** The problem an actor operation's failure stands for: who failed, and what to do about it. */
export function actorProblem(error: unknown, name: string): HttpProblem {
  if (error instanceof HttpProblem) return error
  const said = describeError(error, { firstLine: true })
  if (error instanceof AskTimeoutError || error instanceof TimeoutError)
    return new HttpProblem(
      504,
      'actor-timeout',
      'The actor did not answer in time',
      `'${name}' gave no answer in time (${said}): ask with a longer ?timeout=ms, or check that the actor replies to this message`,
    )
  if (error instanceof NoSnapshotError)
    return new HttpProblem(
      404,
      'no-snapshot',
      'The actor has no snapshot',
      `'${name}' gives no state snapshot: add snapshot(state) to its definition (defineActor)`,
    )
  if (error instanceof ActorStoppedError)
    return new HttpProblem(
      404,
      'actor-stopped',
      'The actor is stopped',
      `'${name}' stopped before it answered`,
    )
  if (error instanceof NameTakenError)
    return new HttpProblem(
      409,
      'name-taken',
      'The name is taken',
      `an actor named '${name}' is running: DELETE it first, or choose another name`,
    )
  if (error instanceof UnhandledMessageError)
    return new HttpProblem(
      422,
      'unhandled-message',
      'The actor does not handle this message',
      `'${name}' does not understand the message: ${said}`,
    )
  if (error instanceof InvalidOptionError)
    return new HttpProblem(
      422,
      'invalid-args',
      'The spawn was refused',
      `the actor cannot start with these args: ${said}`,
    )
  if (error instanceof NodeDownError || error instanceof MailboxFullError)
    return new HttpProblem(
      503,
      'actor-unavailable',
      'The actor cannot be reached now',
      `${said}; try again later`,
    )
  const cause = error instanceof RemoteActorError ? error.cause : error
  return new HttpProblem(
    500,
    'actor-failed',
    'The actor failed',
    `'${name}' failed handling the request: ${describeError(cause, { firstLine: true })}`,
  )
}
