import { InvalidOptionError } from '../core/errors.ts'
import { checkEnvelope, checkEnvelopes } from './check-envelope.ts'
import { checkMsgpack, createStructureTable } from './check-msgpack.ts'
import {
  asBuffer,
  type CodecOptions,
  checkEncoded,
  checkedSettings,
  contextOf,
  DEFAULT_MAX_STRUCTURES,
  MAX_STRUCTURES_LIMIT,
  messageOf,
  newPackr,
  newUnpackr,
  pack,
  unpack,
} from './codec.ts'
import type { Envelope } from './envelope.ts'
import { EncodeError, ProtocolError } from './errors.ts'

/** Options of {@link createConnectionCodec}. */
export interface ConnectionCodecOptions extends CodecOptions {
  /**
   * The most record structures (object shapes) one direction of the connection keeps defined:
   * the encoder cycles through this many ids, redefining the oldest when it needs another, and
   * the decoder refuses (`ProtocolError`) a definition of any other id, so a peer can make it keep
   * at most this many structures, each no larger than a frame. From 1 to {@link MAX_STRUCTURES_LIMIT}
   * (msgpackr's one-byte record ids; more would take two-byte ids, which the checks do not read).
   * Both ends must agree, or the decoder with the smaller limit refuses the other's frames.
   * @default 64
   */
  maxStructures?: number
}

/** The sending half of a {@link ConnectionCodec}: its frames must all reach the peer, in order. */
export interface ConnectionEncoder {
  /**
   * The msgpack bytes of `value`, which may refer to structures defined by the earlier frames;
   * throws `EncodeError` if it cannot be sent (after which the next frame defines its
   * structures afresh). Refuses (`EncodeError`) to encode while already encoding, as a `toJSON`
   * that sends on the same connection would, since its frame would overtake the outer one.
   */
  encode(value: unknown): Buffer
  /** {@link ConnectionEncoder.encode} for an envelope. */
  encodeEnvelope(envelope: Envelope): Buffer
  /**
   * {@link ConnectionEncoder.encode} for a batch: several envelopes in one frame, as an array,
   * which {@link ConnectionDecoder.decodeEnvelopes} reads (one pack and one check for them all
   * cost a third of one per envelope).
   */
  encodeEnvelopes(envelopes: readonly Envelope[]): Buffer
  /**
   * Forgets the structures sent so far, so the next frame defines those it uses: call it when a
   * frame from {@link ConnectionEncoder.encode} was not sent after all, or the stream breaks.
   */
  reset(): void
}

/** The receiving half of a {@link ConnectionCodec}: it must see every frame of the peer, in order. */
export interface ConnectionDecoder {
  /**
   * The value `bytes` hold, reading the structures the peer's earlier frames defined; throws
   * `ProtocolError` (and nothing else) if they are malformed. Once it has thrown, its structures
   * may be out of step with the peer's, so it throws `ProtocolError` for every later frame:
   * close the connection.
   */
  decode(bytes: Uint8Array): unknown
  /** {@link ConnectionDecoder.decode} of an envelope, checked against its kind as {@link Codec.decodeEnvelope} does. */
  decodeEnvelope(bytes: Uint8Array): Envelope
  /**
   * The envelopes of a frame: one envelope, or a batch of them (a non-empty array, see
   * {@link ConnectionEncoder.encodeEnvelopes}), each checked against its kind.
   */
  decodeEnvelopes(bytes: Uint8Array): Envelope[]
}

/** The codec of one end of one ordered connection: an encoder for what it sends, a decoder for what it receives. */
export interface ConnectionCodec {
  readonly encoder: ConnectionEncoder
  readonly decoder: ConnectionDecoder
}

/**
 * A codec for one end of one ordered connection (one per connection, never shared), whose
 * object structures are shared along each direction of the connection: msgpackr's `sequential`
 * mode. A frame defines a structure inline the first time it uses it (`d4 72 <id>` and the field
 * names) and later frames only refer to it by its one-byte id, so the decoder builds it once
 * per connection instead of once per frame. Values, options and guarantees are those of
 * {@link createCodec}, except that the frames of one direction must be decoded in the order they
 * were encoded, all of them, by one decoder: frames cannot be dropped, reordered or fanned out.
 * On the wire they are plain records-per-message msgpack, so the decoder also reads the frames
 * of a {@link createCodec} encoder (whose definitions simply overwrite its ids).
 *
 * The checks know the structures defined so far (up to {@link ConnectionCodecOptions.maxStructures}):
 * a frame that refers to a structure never defined, or defines one beyond the limit, is a
 * `ProtocolError`, as is any frame after the decoder failed once.
 *
 * @example
 * ```ts
 * const { encoder, decoder } = createConnectionCodec({ resolveRef: (address) => node.resolve(address) })
 * connection.onFrame((body) => deliver(decoder.decodeEnvelope(body)))
 * connection.send(encoder.encodeEnvelope({ kind: 'tell', to: '/user/a', message: { n: 1 } }))
 * ```
 */
export function createConnectionCodec(options: ConnectionCodecOptions): ConnectionCodec {
  const settings = checkedSettings(options)
  const maxStructures = options.maxStructures ?? DEFAULT_MAX_STRUCTURES
  if (!Number.isSafeInteger(maxStructures) || maxStructures < 1 || maxStructures > MAX_STRUCTURES_LIMIT) {
    throw new InvalidOptionError(
      'maxStructures',
      `expected an integer from 1 to ${MAX_STRUCTURES_LIMIT}, got ${maxStructures}`,
    )
  }
  const context = contextOf(options)

  // The encoder's structures, and what the peer's decoder knows of them (its checks' table).
  let packr = newPackr(true, maxStructures)
  let sent = createStructureTable(maxStructures)
  let encoding = false
  const reset = (): void => {
    packr = newPackr(true, maxStructures)
    sent = createStructureTable(maxStructures)
  }
  const encode = (value: unknown): Buffer => {
    if (encoding) {
      throw new EncodeError('cannot encode a value for a connection while encoding another for it')
    }
    encoding = true
    try {
      const bytes = pack(packr, value, settings.errorStacks)
      checkEncoded(bytes, settings, sent)
      return bytes
    } catch (error) {
      // The packr may have given ids to structures the peer will never see defined.
      reset()
      throw error
    } finally {
      encoding = false
    }
  }

  const unpackr = newUnpackr(true)
  const received = createStructureTable(maxStructures)
  let failure: ProtocolError | undefined
  const decode = (bytes: Uint8Array): unknown => {
    if (failure !== undefined) {
      throw new ProtocolError(`an earlier frame of this connection was malformed: ${failure.message}`, {
        cause: failure,
      })
    }
    try {
      const source = asBuffer(bytes)
      checkMsgpack(source, settings, received)
      return unpack(unpackr, context, source)
    } catch (error) {
      failure =
        error instanceof ProtocolError
          ? error
          : new ProtocolError(`malformed msgpack: ${messageOf(error)}`, { cause: error })
      throw failure
    }
  }

  return {
    encoder: { encode, encodeEnvelope: encode, encodeEnvelopes: encode, reset },
    decoder: {
      decode,
      decodeEnvelope: (bytes) => checkEnvelope(decode(bytes)),
      decodeEnvelopes: (bytes) => checkEnvelopes(decode(bytes)),
    },
  }
}
