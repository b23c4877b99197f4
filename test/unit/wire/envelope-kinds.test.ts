import { describe, expect, it } from 'vitest'
import { checkEnvelope } from '../../../src/wire/check-envelope.ts'
import type { Envelope, EnvelopeKind } from '../../../src/wire/envelope.ts'

// One valid envelope of every kind (DESIGN.md §4): the record makes a kind added to or dropped
// from the union a compile error here.
const samples: Record<EnvelopeKind, Envelope> = {
  tell: { kind: 'tell', to: '/user/a', message: 1 },
  ask: { kind: 'ask', to: '/user/a', id: 1, message: 1 },
  reply: { kind: 'reply', id: 1, message: undefined },
  error: { kind: 'error', id: 1, error: new Error('x') },
  watch: { kind: 'watch', watcher: '1', target: '/user/a' },
  unwatch: { kind: 'unwatch', watcher: '1', target: '/user/a' },
  terminated: { kind: 'terminated', watcher: '1', target: '/user/a', reason: 'noproc' },
  link: { kind: 'link', a: '/user/a', b: '/user/b' },
  unlink: { kind: 'unlink', a: '/user/a', b: '/user/b' },
  exit: { kind: 'exit', from: '/user/a', to: '/user/b', reason: 'failed' },
  stop: { kind: 'stop', target: '/user/a' },
  snapshot: { kind: 'snapshot', target: '/user/a', id: 1 },
  observe: { kind: 'observe', id: 1, parent: '/user', offset: 0, limit: 100 },
  spawn: { kind: 'spawn', id: 1, behavior: 'worker' },
  spawned: { kind: 'spawned', id: 1, path: '/user/w' },
  ping: { kind: 'ping', at: 1 },
  pong: { kind: 'pong', at: 1 },
  open: { kind: 'open', id: 1, actor: '', module: 'm', name: 'n', args: [], mode: 'run', window: 1 },
  started: { kind: 'started', id: 1, first: undefined },
  items: { kind: 'items', id: 1, by: 'callee', values: [] },
  credit: { kind: 'credit', id: 1, by: 'caller', n: 1 },
  end: { kind: 'end', id: 1, by: 'callee', value: 'result' },
  cancel: { kind: 'cancel', id: 1 },
}

describe('the envelope kinds', () => {
  it('are the 23 of the protocol, each accepted as it is', () => {
    expect(Object.keys(samples)).toHaveLength(23)
    for (const envelope of Object.values(samples)) expect(checkEnvelope(envelope)).toBe(envelope)
  })

  it("a stop may say 'killed', and only a stop reason", () => {
    expect(checkEnvelope({ kind: 'stop', target: '/user/a', id: 2, reason: 'killed' }).kind).toBe('stop')
    expect(() => checkEnvelope({ kind: 'stop', target: '/user/a', reason: 'gone' })).toThrow(
      "envelope 'stop' needs 'reason' to be one of",
    )
  })

  it('an observe needs a parent path, an offset from 0 and a positive limit', () => {
    const observe = { kind: 'observe', id: 1, parent: '/user', offset: 0, limit: 1 }
    expect(checkEnvelope(observe).kind).toBe('observe')
    expect(() => checkEnvelope({ ...observe, limit: 0 })).toThrow("envelope 'observe' needs 'limit'")
    expect(() => checkEnvelope({ ...observe, offset: -1 })).toThrow("envelope 'observe' needs 'offset'")
    expect(() => checkEnvelope({ ...observe, parent: 7 })).toThrow("envelope 'observe' needs 'parent'")
  })

  it('no longer include the call, stream and context kinds of protocol version 1', () => {
    for (const kind of [
      'call',
      'stream',
      'stream-items',
      'stream-credit',
      'stream-end',
      'context-started',
      'context-items',
      'context-credit',
      'context-end',
    ]) {
      expect(() => checkEnvelope({ kind, id: 1 })).toThrow(`unknown envelope kind '${kind}'`)
    }
  })

  it('run, stream and open all send one open, told apart by its mode', () => {
    const open = samples.open
    for (const mode of ['run', 'stream', 'context'])
      expect(checkEnvelope({ ...open, mode }).kind).toBe('open')
    expect(() => checkEnvelope({ ...open, mode: 'call' })).toThrow(
      "envelope 'open' needs 'mode' to be one of run, stream, context, got 'call'",
    )
    expect(() => checkEnvelope({ ...open, window: 0 })).toThrow("needs 'window' to be a positive integer")
  })

  it('items, credit and end name the side that sent them', () => {
    for (const kind of ['items', 'credit', 'end'] as const) {
      const envelope = samples[kind]
      expect(checkEnvelope({ ...envelope, by: 'caller' }).kind).toBe(kind)
      expect(() => checkEnvelope({ ...envelope, by: undefined })).toThrow(`envelope '${kind}' lacks 'by'`)
      expect(() => checkEnvelope({ ...envelope, by: 'peer' })).toThrow(
        `envelope '${kind}' needs 'by' to be one of caller, callee`,
      )
    }
    // A run's end carries its result, which may be undefined; a caller's end carries nothing.
    expect(checkEnvelope({ kind: 'end', id: 1, by: 'caller' }).kind).toBe('end')
  })

  it('a stop may carry an id, which a refusal answers', () => {
    expect(checkEnvelope({ kind: 'stop', target: '/user/a', id: 7 }).kind).toBe('stop')
    expect(() => checkEnvelope({ kind: 'stop', target: '/user/a', id: -1 })).toThrow(
      "envelope 'stop' needs 'id' to be a non-negative integer",
    )
  })

  it('cancel may say why', () => {
    expect(checkEnvelope({ kind: 'cancel', id: 1, reason: new Error('too large') }).kind).toBe('cancel')
    expect(() => checkEnvelope({ kind: 'cancel' })).toThrow("envelope 'cancel' lacks 'id'")
  })
})
