import { describe, expect, it } from 'vitest'
import { FRAME_TAG_BYTES, FrameOpener, FrameSealer } from '../../../src/transport/frame-seal.ts'
import { decodeReject, encodeReject, nameProblem } from '../../../src/transport/handshake-messages.ts'
import { isLoopbackHost } from '../../../src/transport/tcp/address.ts'

describe('decodeReject', () => {
  it('writes out every control character of the detail, not only the first', () => {
    const body = encodeReject('cookie-mismatch', 'a\nb\rc\u0007d\u009be\n')
    expect(decodeReject(body)).toEqual({ reason: 'cookie-mismatch', detail: 'a\\nb\\rc\\x07d\\x9be\\n' })
  })

  it('still finds a control character in names after a replace (no global regex state left behind)', () => {
    decodeReject(encodeReject('malformed', 'x\ny'))
    expect(nameProblem('a\nb')).toBe('contains a control character')
    expect(nameProblem('\nab')).toBe('contains a control character')
    expect(nameProblem('ab')).toBeUndefined()
  })
})

describe('sealed frames', () => {
  const key = Buffer.alloc(32, 7)
  const from = () => 'peer'

  it('open what was sealed, in order, adding the tag', () => {
    const sealer = new FrameSealer(key)
    const opener = new FrameOpener(key, from)
    for (const text of ['one', '', 'three']) {
      const sealed = sealer.seal(Buffer.from(text))
      expect(sealed.length).toBe(text.length + FRAME_TAG_BYTES)
      expect(sealed.includes(Buffer.from('three'))).toBe(false)
      expect(opener.open(sealed).toString()).toBe(text)
    }
  })

  it('refuse a replayed, reordered, altered or short frame, and one under another key', () => {
    const cases: Array<[string, (sealed: Buffer[]) => Buffer[], Buffer?]> = [
      ['replayed', ([a]) => [a!, a!]],
      ['reordered', ([a, b]) => [b!, a!]],
      ['dropped', ([, b]) => [b!]],
      ['altered', ([a]) => [Buffer.from(a!.map((byte, i) => (i === 0 ? byte ^ 1 : byte)))]],
      ['short', () => [Buffer.alloc(3)]],
      ['another key', ([a]) => [a!], Buffer.alloc(32, 8)],
    ]
    for (const [what, mangle, openKey] of cases) {
      const sealer = new FrameSealer(key)
      const sent = [sealer.seal(Buffer.from('first')), sealer.seal(Buffer.from('second'))]
      const opener = new FrameOpener(openKey ?? key, from)
      expect(() => {
        for (const frame of mangle(sent)) opener.open(frame)
      }, what).toThrow(/^frame [01] from peer failed authentication/)
    }
  })
})

describe('isLoopbackHost, which decides frameAuth by default', () => {
  it('knows loopback in its spellings, and nothing else', () => {
    for (const host of [
      'localhost',
      '127.0.0.1',
      '127.9.8.7',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      'LOCALHOST',
    ])
      expect(isLoopbackHost(host), host).toBe(true)
    for (const host of [
      '0.0.0.0',
      '::',
      '192.0.2.2',
      '10.0.0.1',
      '::ffff:10.0.0.1',
      'example.com',
      '127.0.0.1.example.com',
    ])
      expect(isLoopbackHost(host), host).toBe(false)
  })
})
