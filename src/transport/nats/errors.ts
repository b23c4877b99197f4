import { TroupeError } from '../../concurrency/errors.ts'
import { ConnectionLostError } from '../errors.ts'

/**
 * Frames from the peer never arrived: NATS delivers at most once, and messages are lost when a
 * server restarts or drops a client (a slow consumer, a reconnect). The connection is closed,
 * never left to carry on with a hole in it; `lost` says how many frames went missing.
 */
export class FramesLostError extends ConnectionLostError {
  constructor(
    remote: string,
    /** How many frames from the peer never arrived. */
    readonly lost: number,
    detail: string,
  ) {
    super(remote, {
      cause: new Error(
        `${lost} frame${lost === 1 ? '' : 's'} from the peer ${lost === 1 ? 'was' : 'were'} lost (${detail}): NATS delivers at most once, and a server restart or a dropped client loses what was in flight`,
      ),
    })
  }
}

/**
 * This node did not keep up with what a peer sent it: more frames waited to be handled than
 * `maxPendingMessages`, so the connection was closed rather than let memory grow.
 */
export class SlowConsumerError extends TroupeError {
  constructor(
    /** The peer, as the connection names it. */
    readonly remote: string,
    /** The limit that was passed. */
    readonly maxPendingMessages: number,
  ) {
    super(
      `more than ${maxPendingMessages} frames from ${remote} wait to be handled (maxPendingMessages): this node does not keep up with what it is sent`,
    )
  }
}

/** A NATS server could not be reached, or refused this client: `servers` names the URLs tried. */
export class NatsConnectError extends TroupeError {
  constructor(
    /** The URLs that were tried. */
    readonly servers: readonly string[],
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`cannot connect to NATS at ${servers.join(', ')}: ${detail}`, options)
  }
}
