import { describe, expect, it } from 'vitest'
import {
  CancelledError,
  isCancellation,
  isCancelledBy,
  TimeoutError,
  TroupeError,
  toCancelReason,
} from '../../../src/concurrency/errors.ts'

describe('TroupeError', () => {
  it('names itself after its class and keeps its cause', () => {
    class MailboxFullError extends TroupeError {}
    const cause = new Error('underlying')
    const err = new MailboxFullError('full', { cause })
    expect(err).toBeInstanceOf(Error)
    expect(err).toBeInstanceOf(TroupeError)
    expect(err.name).toBe('MailboxFullError')
    expect(err.message).toBe('full')
    expect(err.cause).toBe(cause)
    expect(new TroupeError('x').name).toBe('TroupeError')
  })
})

describe('CancelledError', () => {
  it('is a TroupeError carrying an optional reason and cause', () => {
    const err = new CancelledError('stopped', { reason: 'shutdown', cause: 42 })
    expect(err).toBeInstanceOf(TroupeError)
    expect(err.name).toBe('CancelledError')
    expect(err.reason).toBe('shutdown')
    expect(err.cause).toBe(42)
    const plain = new CancelledError()
    expect(plain.message).toBe('cancelled')
    expect('cause' in plain).toBe(false)
    expect(plain.reason).toBeUndefined()
  })
})

describe('TimeoutError', () => {
  it('is a TroupeError that remembers its limit', () => {
    const err = new TimeoutError(250)
    expect(err).toBeInstanceOf(TroupeError)
    expect(err.name).toBe('TimeoutError')
    expect(err.ms).toBe(250)
    expect(err.message).toBe('timed out after 250 ms')
  })
})

describe('isCancellation', () => {
  it('recognises CancelledError and anything named AbortError', () => {
    expect(isCancellation(new CancelledError())).toBe(true)
    expect(isCancellation(new DOMException('aborted', 'AbortError'))).toBe(true)
    const abortError = Object.assign(new Error('aborted'), { name: 'AbortError' })
    expect(isCancellation(abortError)).toBe(true)
  })

  it('rejects everything else, timeouts included', () => {
    for (const value of [new TimeoutError(1), new Error('x'), 'AbortError', null, undefined, 0, {}]) {
      expect(isCancellation(value)).toBe(false)
    }
    expect(isCancellation(new DOMException('late', 'TimeoutError'))).toBe(false)
  })
})

describe('isCancelledBy', () => {
  it('is true only once the signal has aborted, for its reason or a cancellation', () => {
    const controller = new AbortController()
    const reason = new TimeoutError(5)
    expect(isCancelledBy(new CancelledError(), controller.signal)).toBe(false)
    controller.abort(reason)
    expect(isCancelledBy(reason, controller.signal)).toBe(true)
    expect(isCancelledBy(new CancelledError(), controller.signal)).toBe(true)
    expect(isCancelledBy(new TimeoutError(5), controller.signal)).toBe(false)
    expect(isCancelledBy(new Error('boom'), controller.signal)).toBe(false)
  })
})

describe('toCancelReason', () => {
  it('keeps Troupe cancellations and timeouts as they are', () => {
    const cancelled = new CancelledError()
    const timeout = new TimeoutError(3)
    expect(toCancelReason(cancelled)).toBe(cancelled)
    expect(toCancelReason(timeout)).toBe(timeout)
  })

  it('wraps anything else in a CancelledError', () => {
    expect(toCancelReason(undefined)).toBeInstanceOf(CancelledError)
    const fromString = toCancelReason('shutdown')
    expect(fromString.message).toBe('cancelled: shutdown')
    expect((fromString as CancelledError).reason).toBe('shutdown')
    const foreign = new DOMException('This operation was aborted', 'AbortError')
    const fromError = toCancelReason(foreign) as CancelledError
    expect(fromError).toBeInstanceOf(CancelledError)
    expect(fromError.cause).toBe(foreign)
    expect(fromError.reason).toBe(foreign)
  })
})
