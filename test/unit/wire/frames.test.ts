import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../../../src/core/errors.ts'
import { FrameTooLargeError, ProtocolError } from '../../../src/wire/errors.ts'
import {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  frameHeader,
} from '../../../src/wire/frames.ts'

const bytes = (...values: number[]) => Buffer.from(values)
const text = (s: string) => Buffer.from(s, 'utf8')

/** Every frame body the decoder yields for `chunks`, fed in order. */
function decodeAll(decoder: FrameDecoder, chunks: Iterable<Uint8Array>): string[] {
  const bodies: string[] = []
  for (const chunk of chunks) for (const body of decoder.push(chunk)) bodies.push(body.toString('hex'))
  return bodies
}

const hex = (values: Uint8Array[]) => values.map((v) => Buffer.from(v).toString('hex'))

/** Splits `stream` at the given cut points (any numbers; taken modulo the length, sorted). */
function rechunk(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b)
  const chunks: Buffer[] = []
  let from = 0
  for (const point of [...points, stream.length]) {
    chunks.push(stream.subarray(from, point))
    from = point
  }
  return chunks
}

describe('frame encoding', () => {
  it('writes a 4-byte big-endian length before the body', () => {
    expect(FRAME_HEADER_BYTES).toBe(4)
    expect(encodeFrame(text('abc'))).toEqual(bytes(0, 0, 0, 3, 0x61, 0x62, 0x63))
    expect(frameHeader(0x01020304)).toEqual(bytes(1, 2, 3, 4))
    expect(encodeFrame(new Uint8Array(0))).toEqual(bytes(0, 0, 0, 0))
  })
})

describe('FrameDecoder', () => {
  const bodies = [text('hello'), text(''), text('a longer body of some bytes'), bytes(0, 0, 0, 0, 255)]
  const stream = Buffer.concat(bodies.map((body) => encodeFrame(body)))

  it('decodes a stream fed one byte at a time', () => {
    const decoder = new FrameDecoder()
    const ends: number[] = []
    let offset = 0
    for (const body of bodies) {
      offset += FRAME_HEADER_BYTES + body.length
      ends.push(offset)
    }
    const yielded: string[] = []
    for (let i = 0; i < stream.length; i++) {
      const frames = decoder.push(stream.subarray(i, i + 1))
      // A frame completes exactly on the byte that ends it, never earlier.
      expect(frames.length).toBe(ends.filter((end) => end === i + 1).length)
      yielded.push(...frames.map((frame) => frame.toString('hex')))
    }
    expect(yielded).toEqual(hex(bodies))
    expect(decoder.buffered).toBe(0)
  })

  it('decodes many frames from one chunk, in order', () => {
    const many = Array.from({ length: 100 }, (_, i) => text(`frame ${i}`))
    const decoder = new FrameDecoder()
    expect(decodeAll(decoder, [Buffer.concat(many.map((body) => encodeFrame(body)))])).toEqual(hex(many))
    expect(decoder.buffered).toBe(0)
  })

  it('reassembles a header split across chunks', () => {
    const frame = encodeFrame(text('split'))
    for (const cut of [1, 2, 3]) {
      const decoder = new FrameDecoder()
      expect(decoder.push(frame.subarray(0, cut))).toEqual([])
      expect(decoder.buffered).toBe(cut)
      expect(decoder.push(frame.subarray(cut, 4))).toEqual([])
      expect(decoder.push(frame.subarray(4))).toEqual([text('split')])
    }
  })

  it('takes plain Uint8Array chunks as well as Buffers', () => {
    const decoder = new FrameDecoder()
    const frame = encodeFrame(text('plain'))
    const view = new Uint8Array(frame.buffer, frame.byteOffset, frame.length)
    expect(decoder.push(view.subarray(0, 3))).toEqual([])
    expect(decoder.push(view.subarray(3)).map((body) => body.toString())).toEqual(['plain'])
  })

  it('yields zero-length frames', () => {
    const decoder = new FrameDecoder()
    const empty = encodeFrame(new Uint8Array(0))
    const frames = decoder.push(Buffer.concat([empty, empty, encodeFrame(text('x')), empty]))
    expect(frames.map((frame) => frame.length)).toEqual([0, 0, 1, 0])
    expect(decoder.buffered).toBe(0)
  })

  it('refuses a 2^32-1 length prefix at once, holding nothing of it', () => {
    const decoder = new FrameDecoder()
    const before = process.memoryUsage().arrayBuffers
    let error: unknown
    try {
      decoder.push(bytes(0xff, 0xff, 0xff, 0xff, 1, 2, 3))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(FrameTooLargeError)
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error).toMatchObject({ claimedBytes: 2 ** 32 - 1, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES })
    expect((error as Error).message).toContain('maxFrameBytes')
    expect(decoder.buffered).toBeLessThanOrEqual(3)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024)
  })

  it('refuses an oversized header even when it arrives a byte at a time', () => {
    const decoder = new FrameDecoder(1000)
    expect(decoder.push(bytes(0x00))).toEqual([])
    expect(decoder.push(bytes(0x01))).toEqual([])
    expect(decoder.push(bytes(0x00))).toEqual([])
    expect(() => decoder.push(bytes(0x00))).toThrow(FrameTooLargeError)
    expect(decoder.buffered).toBe(0)
  })

  it('holds only the bytes that arrived for a large frame allowed by the limit', () => {
    const decoder = new FrameDecoder(0xffffffff)
    const before = process.memoryUsage().arrayBuffers
    expect(decoder.push(bytes(0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5))).toEqual([])
    expect(decoder.buffered).toBe(5)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024)
  })

  it('accepts a frame of exactly maxFrameBytes and refuses one byte more', () => {
    const max = 64
    const exact = Buffer.alloc(max, 7)
    expect(new FrameDecoder(max).push(encodeFrame(exact))).toEqual([exact])
    const decoder = new FrameDecoder(max)
    expect(() => decoder.push(encodeFrame(Buffer.alloc(max + 1, 7)))).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError', claimedBytes: max + 1, maxFrameBytes: max }),
    )
  })

  it('refuses limits it cannot honour', () => {
    for (const limit of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => new FrameDecoder(limit)).toThrow(InvalidOptionError)
    }
  })

  it('decodes any list of bodies, however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (list, cuts) => {
          const all = Buffer.concat(list.map((body) => encodeFrame(body)))
          const decoder = new FrameDecoder(300)
          expect(decodeAll(decoder, rechunk(all, cuts))).toEqual(hex(list))
          expect(decoder.buffered).toBe(0)
        },
      ),
      { numRuns: 500 },
    )
  })
})
