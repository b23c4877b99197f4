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

/**
 * A value is too large to send: the frame that carries it would exceed the limit of the connection
 * it goes on (`maxFrameBytes`). The fault is the sender's: only the message, call, stream or context
 * that carried it fails, and the connection goes on.
 */
export class MessageTooLargeError extends EncodeError {
  constructor(
    /** The bytes of the frame body the value needed, its envelope included. */
    readonly bytes: number,
    /** The limit of the connection: the largest frame body its receiver accepts. */
    readonly maxFrameBytes: number,
    /** What was too large: `a stream item`, `the result of 'fn'`. */
    what = 'a message',
  ) {
    super(
      `${what} cannot be sent: its frame would be ${bytes} bytes, over the limit of ${maxFrameBytes} bytes (maxFrameBytes)`,
    )
  }
}
