import type { Connection } from '../../transport/transport.ts'
import type { Envelope } from '../../wire/envelope.ts'
import { MessageTooLargeError } from '../../wire/errors.ts'
import type { EnvelopeCodec } from './remote-node.ts'

/** What a peer needs of one connection to its node: envelopes out, and closing. */
export interface Channel {
  /** Throws if the envelope cannot be sent: `EncodeError`, `MessageTooLargeError` for a frame over the limit. */
  send(envelope: Envelope): void
  close(error?: Error): void
  /** Sends now what the channel gathered to send together, if it gathers. */
  flush?(): void
  /**
   * Told of an envelope gathered with others that could not be sent after all (what `send`
   * throws for one sent at once); the peer sets it.
   */
  refused?: (envelope: Envelope, error: unknown) => void
  /**
   * The largest frame body the connection carries.
   * @default 1048576 (`DEFAULT_MAX_FRAME_BYTES`)
   */
  readonly maxFrameBytes?: number
}

/** Most envelopes one batch frame carries (1,000 tells in one turn leave in four frames). */
const MAX_BATCH = 256

/**
 * The kinds that gather into batches: actors' messages and their answers, whose refusal reaches
 * its sender later anyway (a dead letter, a rejected ask). Any other envelope sends what gathered
 * first, then itself at once, so that its sender learns synchronously that it was too large (a
 * context's `send`, a stream's item) and the order of every envelope is kept.
 */
const GATHERED = new Set<Envelope['kind']>(['tell', 'ask', 'reply', 'credit', 'ping', 'pong'])

/**
 * The channel a peer sends on over `connection`, encoded by the connection's codec. The first
 * envelope of a turn of the event loop leaves at once, in a frame of its own (no latency added
 * to a round trip); those after it in the same turn gather and leave together, in order, as
 * batches of one frame each on `setImmediate` (one pack, one frame and one check on receipt for
 * them all: a third of the cost of a frame each). A frame over the connection's limit is never
 * sent (its receiver would close the connection, and every call, stream and watch on it with
 * it): an envelope sent at once throws `MessageTooLargeError`; a batch that would be is sent in
 * smaller ones, and an envelope of a batch that cannot be sent is handed to `refused`, with why.
 */
export function envelopeChannel(connection: Connection, codec: EnvelopeCodec): Channel {
  const maxFrameBytes = connection.maxFrameBytes
  let pending: Envelope[] | undefined
  let scheduled: NodeJS.Immediate | undefined
  /** While a batch is sent: an envelope sent meanwhile (a refusal's halves) leaves at once, in order. */
  let flushing = false

  const sendNow = (envelope: Envelope): void => {
    const body = codec.encode(envelope)
    if (body.length > maxFrameBytes) {
      // Encoded but never sent: the peer must not miss structures this frame defined.
      codec.reset()
      throw new MessageTooLargeError(body.length, maxFrameBytes, `a '${envelope.kind}' envelope`)
    }
    write(body)
  }

  const write = (body: Uint8Array): void => {
    try {
      connection.send(body)
    } catch (error) {
      // Never expected (send does not throw), but a frame the peer misses would desync the codec.
      codec.reset()
      throw error
    }
  }

  /** Sends `batch` in as few frames as fit; `false` if it could not be encoded (send its envelopes one by one). */
  const sendBatch = (batch: readonly Envelope[]): boolean => {
    let body: Uint8Array
    try {
      body = codec.encode(batch)
    } catch {
      return false
    }
    if (body.length <= maxFrameBytes) {
      write(body)
      return true
    }
    codec.reset()
    const parts = Math.min(batch.length, Math.ceil((body.length * 1.25) / maxFrameBytes))
    const size = Math.ceil(batch.length / parts)
    for (let start = 0; start < batch.length; start += size) {
      const part = batch.slice(start, start + size)
      if (part.length === 1 || !sendBatch(part)) sendEach(part)
    }
    return true
  }

  const sendEach = (envelopes: readonly Envelope[]): void => {
    for (const envelope of envelopes) {
      try {
        sendNow(envelope)
      } catch (error) {
        channel.refused?.(envelope, error)
      }
    }
  }

  /** Sends what gathered: as one batch where it can, else envelope by envelope. */
  const sendGathered = (batch: readonly Envelope[]): void => {
    flushing = true
    try {
      if (batch.length === 1 || !sendBatch(batch)) sendEach(batch)
    } finally {
      flushing = false
    }
  }

  const flush = (): void => {
    if (scheduled !== undefined) clearImmediate(scheduled)
    scheduled = undefined
    const batch = pending
    pending = undefined
    if (batch !== undefined && batch.length > 0) sendGathered(batch)
  }

  const channel: Channel = {
    maxFrameBytes,
    send(envelope) {
      if (!GATHERED.has(envelope.kind) && pending !== undefined && !flushing) {
        flush()
        pending = []
        scheduled = setImmediate(flush)
        sendNow(envelope)
        return
      }
      if (pending === undefined || flushing) {
        sendNow(envelope)
        if (!flushing) {
          pending = []
          scheduled = setImmediate(flush)
        }
        return
      }
      pending.push(envelope)
      if (pending.length >= MAX_BATCH) {
        const full = pending
        pending = undefined
        sendGathered(full)
        pending = []
      }
    },
    flush,
    close(error) {
      if (error === undefined) flush()
      else {
        if (scheduled !== undefined) clearImmediate(scheduled)
        scheduled = undefined
        pending = undefined
      }
      connection.close(error)
    },
  }
  return channel
}
