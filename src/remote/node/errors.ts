import { TroupeError } from '../../concurrency/errors.ts'

/** The node an actor lives on is down (unreachable, silent past the heartbeat timeout, or restarted). */
export class NodeDownError extends TroupeError {
  constructor(
    readonly node: string,
    reason: string,
  ) {
    super(`node ${node} is down: ${reason}`)
  }
}

/** A node refused to spawn an actor for another (not exposed, bad options, or it failed at start). */
export class RemoteSpawnError extends TroupeError {}

/**
 * A context opened with `portal.open` can send no more: its caller closed its side, or the callee
 * returned. Not a failure of the other side: a `send` that came too late.
 */
export class ContextClosedError extends TroupeError {}

/**
 * A context's channel used against its protocol, by the code that holds it: `started()` called
 * twice, `send()` before `started()`, a context function that returns without calling `started()`,
 * two loops reading one context at once, or a channel asked of a `run` or `stream`, which have none.
 */
export class ContextMisuseError extends TroupeError {}

/**
 * A node started with `untrusted` refused a request that only its parent node may make: a stop,
 * a link, a remote spawn, or a call of a function its `untrusted.allow` does not list.
 */
export class UntrustedRequestError extends TroupeError {
  constructor(
    /** The node that refused. */
    readonly node: string,
    /** The node whose request it was. */
    readonly from: string,
    readonly request: string,
    subject: string,
  ) {
    super(
      `node ${node} refused the '${request}' of ${subject} from ${from}: it runs with the option untrusted, which takes this only from its parent node${request === 'call' ? ' (or for a function in untrusted.allow)' : ''}`,
    )
  }
}
