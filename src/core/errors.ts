import { TroupeError } from '../concurrency/errors.ts'

// Option checks below the core (cancel scopes, sleep) throw it too, so it lives with the root.
export { InvalidOptionError } from '../concurrency/errors.ts'

/** Describes an actor in an error message without importing the ref types. */
interface Named {
  readonly address: string
}

/** An `ask` got no reply before its timeout. */
export class AskTimeoutError extends TroupeError {
  constructor(
    readonly target: string,
    readonly timeoutMs: number,
  ) {
    super(`ask to ${target} timed out after ${timeoutMs} ms`)
  }
}

/** The target actor stopped, or was stopped, before it could handle the message or reply. */
export class ActorStoppedError extends TroupeError {
  constructor(readonly target: string) {
    super(`actor ${target} is stopped`)
  }
}

/** A bounded mailbox refused a message (`fail` policy, or a full mailbox under `drop-newest`). */
export class MailboxFullError extends TroupeError {
  constructor(
    readonly target: string,
    readonly capacity: number,
  ) {
    super(`mailbox of ${target} is full (capacity ${capacity})`)
  }
}

/** `self.receive` saw no matching message before its deadline (Erlang's `after`). */
export class ReceiveTimeoutError extends TroupeError {
  constructor(
    readonly actor: string,
    readonly timeoutMs: number,
  ) {
    super(`${actor} received no matching message within ${timeoutMs} ms`)
  }
}

/** Another live actor on this node already has the name. */
export class NameTakenError extends TroupeError {
  constructor(readonly actorName: string) {
    super(`an actor named '${actorName}' is already running on this node`)
  }
}

/** No actor with this name appeared before `waitForActor`'s timeout. */
export class ActorNotFoundError extends TroupeError {
  constructor(
    readonly actorName: string,
    readonly timeoutMs: number,
  ) {
    super(`no actor named '${actorName}' appeared within ${timeoutMs} ms`)
  }
}

/** The receiver marked the asked message as not understood (`ctx.unhandled()`). */
export class UnhandledMessageError extends TroupeError {
  constructor(readonly target: string) {
    super(`${target} does not handle this message`)
  }
}

/** An actor was failed because an actor linked to it failed (Erlang exit propagation). */
export class LinkedActorFailedError extends TroupeError {
  constructor(
    readonly linked: Named,
    cause: unknown,
    /** How the linked actor went down: it failed, was killed, or its node went down. */
    readonly reason: 'failed' | 'killed' | 'node-down' | 'noproc' = 'failed',
  ) {
    super(`linked actor ${linked.address} ${reason === 'killed' ? 'was killed' : 'failed'}`, { cause })
  }
}

/** A supervisor restarted its children more often than its intensity allows, and gave up. */
export class RestartIntensityError extends TroupeError {
  constructor(
    readonly supervisor: string,
    readonly restarts: number,
    readonly withinMs: number,
    cause: unknown,
  ) {
    super(`${supervisor} gave up: more than ${restarts} restarts within ${withinMs} ms`, { cause })
  }
}

/** The actor gives no state snapshot: its definition has no `snapshot(state)` (process-style actors have none). */
export class NoSnapshotError extends TroupeError {
  constructor(readonly target: string) {
    super(`${target} has no snapshot: give its definition a snapshot(state) function (defineActor)`)
  }
}
