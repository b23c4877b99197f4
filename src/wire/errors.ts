import { TroupeError } from '../concurrency/errors.ts'

/** A peer sent bytes that break the protocol: the connection that carried them is closed. */
export class ProtocolError extends TroupeError {}

/** A frame's header claims more bytes than the limit allows; nothing of it is buffered. */
export class FrameTooLargeError extends ProtocolError {
  constructor(
    readonly claimedBytes: number,
    readonly maxFrameBytes: number,
  ) {
    super(`a frame of ${claimedBytes} bytes exceeds the limit of ${maxFrameBytes} bytes (maxFrameBytes)`)
  }
}

/**
 * A value given to the codec cannot be sent: a symbol, a function, a cycle, nesting deeper than
 * `maxDepth`, an object with an own `__proto__` key. The fault is the sender's; no connection is
 * affected. `cause` holds the underlying error, if any.
 */
export class EncodeError extends TroupeError {}
