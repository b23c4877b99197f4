import type { Connection } from '../../transport/transport.ts'
import { MessageTooLargeError } from '../../wire/errors.ts'
import type { Channel } from './peer.ts'
import type { EnvelopeCodec } from './remote-node.ts'

/**
 * The channel a peer sends on over `connection`: each envelope encoded by the connection's codec
 * into one frame. A frame over the connection's limit is never sent (its receiver would close the
 * connection, and every call, stream and watch on it with it): `send` throws `MessageTooLargeError`
 * instead, so that only what carried the value fails.
 */
export function envelopeChannel(connection: Connection, codec: EnvelopeCodec): Channel {
  const maxFrameBytes = connection.maxFrameBytes
  return {
    maxFrameBytes,
    send(envelope) {
      const body = codec.encode(envelope)
      if (body.length > maxFrameBytes) {
        // Encoded but never sent: the peer must not miss structures this frame defined.
        codec.reset()
        throw new MessageTooLargeError(body.length, maxFrameBytes, `a '${envelope.kind}' envelope`)
      }
      try {
        connection.send(body)
      } catch (error) {
        // Never expected (send does not throw), but a frame the peer misses would desync the codec.
        codec.reset()
        throw error
      }
    },
    close: (error) => connection.close(error),
  }
}
