import { describe, expect, it } from 'vitest'
import { envelopeChannel } from '../../../src/remote/node/envelope-channel.ts'
import type { EnvelopeCodec } from '../../../src/remote/node/remote-node.ts'
import type { Connection } from '../../../src/transport/transport.ts'
import { createConnectionCodec, type Envelope, MessageTooLargeError } from '../../../src/wire/index.ts'
import { FakeRef } from '../../support/fake-ref.ts'

/** A connection that keeps the frames sent on it, and the codec pair of its two ends. */
function wire(maxFrameBytes = 1024 * 1024) {
  const frames: Uint8Array[] = []
  const connection = {
    maxFrameBytes,
    send: (body: Uint8Array) => frames.push(Buffer.from(body)),
    close: () => {},
  } as unknown as Connection
  const resolveRef = (address: string) => new FakeRef(address)
  const { encoder } = createConnectionCodec({ resolveRef })
  const { decoder } = createConnectionCodec({ resolveRef })
  const codec: EnvelopeCodec = {
    encode: (e) => encoder.encode(e),
    decode: (b) => decoder.decodeEnvelopes(b),
    reset: () => encoder.reset(),
  }
  const received = () => frames.map((frame) => codec.decode(frame))
  return { connection, codec, frames, received }
}

const tell = (i: number, message: unknown = i): Envelope => ({ kind: 'tell', to: '/user/sink', message })
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('envelopeChannel', () => {
  it('sends the first envelope of a turn at once and the rest of the turn as one batch, in order', async () => {
    const { connection, codec, frames, received } = wire()
    const channel = envelopeChannel(connection, codec)
    for (let i = 0; i < 5; i++) channel.send(tell(i))
    expect(frames).toHaveLength(1)
    await nextTurn()
    expect(received()).toEqual([[tell(0)], [tell(1), tell(2), tell(3), tell(4)]])
    // A later turn starts afresh: its first envelope leaves at once again.
    channel.send(tell(5))
    expect(received().at(-1)).toEqual([tell(5)])
  })

  it('sends a full batch before the turn ends, and flush() sends what has gathered', () => {
    const { connection, codec, received } = wire()
    const channel = envelopeChannel(connection, codec)
    for (let i = 0; i < 600; i++) channel.send(tell(i))
    channel.flush?.()
    const batches = received()
    expect(batches.map((b) => b.length)).toEqual([1, 256, 256, 87])
    expect(batches.flat().map((e) => (e as { message: number }).message)).toEqual([...Array(600).keys()])
  })

  it('splits a batch that would exceed the frame limit, and refuses only an envelope too large alone', () => {
    const { connection, codec, frames, received } = wire(4096)
    const channel = envelopeChannel(connection, codec)
    const refused: [Envelope, unknown][] = []
    channel.refused = (envelope, error) => refused.push([envelope, error])
    const big = (i: number) => tell(i, 'x'.repeat(1000))
    channel.send(tell(0))
    for (let i = 1; i <= 10; i++) channel.send(big(i))
    channel.send(tell(11, 'y'.repeat(5000)))
    channel.send(tell(12))
    channel.flush?.()
    for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(4096)
    expect(received().flat()).toEqual([tell(0), ...[...Array(10).keys()].map((i) => big(i + 1)), tell(12)])
    expect(refused).toHaveLength(1)
    expect(refused[0]![0]).toEqual(tell(11, 'y'.repeat(5000)))
    expect(refused[0]![1]).toBeInstanceOf(MessageTooLargeError)
  })

  it('refuses an envelope of a batch that cannot be encoded, and sends the others', () => {
    const { connection, codec, received } = wire()
    const channel = envelopeChannel(connection, codec)
    const refused: Envelope[] = []
    channel.refused = (envelope) => refused.push(envelope)
    channel.send(tell(0))
    channel.send(tell(1))
    channel.send(tell(2, () => 1))
    channel.send(tell(3))
    channel.flush?.()
    expect(received().flat()).toEqual([tell(0), tell(1), tell(3)])
    expect(refused).toHaveLength(1)
  })

  it('drops what gathered when closed with an error, and sends it first on a clean close', () => {
    const cut = wire()
    const a = envelopeChannel(cut.connection, cut.codec)
    a.send(tell(0))
    a.send(tell(1))
    a.close(new Error('cut'))
    expect(cut.received()).toEqual([[tell(0)]])
    const clean = wire()
    const b = envelopeChannel(clean.connection, clean.codec)
    b.send(tell(0))
    b.send(tell(1))
    b.close()
    expect(clean.received()).toEqual([[tell(0)], [tell(1)]])
  })
})

describe('envelopeChannel and the envelopes it does not gather', () => {
  it('sends what gathered, then an items envelope at once, which throws if it is too large', () => {
    const { connection, codec, received } = wire(4096)
    const channel = envelopeChannel(connection, codec)
    channel.send(tell(0))
    channel.send(tell(1))
    channel.send({ kind: 'items', id: 1, by: 'callee', values: [1, 2] })
    expect(received()).toEqual([
      [tell(0)],
      [tell(1)],
      [{ kind: 'items', id: 1, by: 'callee', values: [1, 2] }],
    ])
    expect(() => channel.send({ kind: 'items', id: 1, by: 'callee', values: ['z'.repeat(5000)] })).toThrow(
      MessageTooLargeError,
    )
    channel.send(tell(2))
    channel.flush?.()
    expect(received().flat().at(-1)).toEqual(tell(2))
  })
})
