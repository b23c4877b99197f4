import type { Envelope, ItemsEnvelope, OpenMode } from '../../wire/envelope.ts'
import { MessageTooLargeError } from '../../wire/errors.ts'

/**
 * The two halves of a batch of items whose frame came out over the limit although each item was
 * weighed under it (a weight is an upper bound, so this takes a value whose `toJSON` grew it, or
 * a changed connection): sent one after the other, in order. `undefined` for a single item, which
 * is too large on its own.
 */
export function halvesOf(envelope: Envelope, error: unknown): [ItemsEnvelope, ItemsEnvelope] | undefined {
  if (!(error instanceof MessageTooLargeError)) return undefined
  if (envelope.kind !== 'items') return undefined
  if (envelope.values.length < 2) return undefined
  const middle = Math.ceil(envelope.values.length / 2)
  return [
    { ...envelope, values: envelope.values.slice(0, middle) },
    { ...envelope, values: envelope.values.slice(middle) },
  ]
}

/**
 * The error to give whoever sent `envelope`, when it could not be sent: a `MessageTooLargeError`
 * says what was too large (`a stream item`, `the arguments of 'fn'`); any other error is kept.
 * `running` is how this node runs the function of the envelope's context for the peer, if it does.
 */
export function refusalOf(envelope: Envelope, error: unknown, running: OpenMode | undefined): unknown {
  if (!(error instanceof MessageTooLargeError)) return error
  return new MessageTooLargeError(error.bytes, error.maxFrameBytes, whatWasIn(envelope, running))
}

function whatWasIn(envelope: Envelope, running: OpenMode | undefined): string {
  switch (envelope.kind) {
    case 'open':
      return `the arguments of '${envelope.name}'`
    case 'items':
      if (envelope.by === 'caller') return 'a value sent to the function of a context'
      return running === 'context' ? 'a value sent to the caller of a context' : 'a stream item'
    case 'started':
      return 'the value given to channel.started()'
    case 'end':
      return 'the result'
    case 'reply':
      return 'the reply'
    case 'tell':
    case 'ask':
      return 'the message'
    case 'spawn':
      return 'the props of the spawn'
    case 'error':
      return 'the error'
    default:
      return `a '${envelope.kind}' envelope`
  }
}
