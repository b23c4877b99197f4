import { describe, expect, it } from 'vitest'
import { describeError, errorParts } from '../../../src/core/describe-error.ts'

describe('describeError', () => {
  it('says an error as its name and message', () => {
    expect(describeError(new TypeError('not a number'))).toBe('TypeError: not a number')
  })

  it('says a thrown value that is not an error as its text', () => {
    expect(describeError('gone')).toBe('gone')
    expect(describeError(42)).toBe('42')
    expect(describeError(undefined)).toBe('undefined')
  })

  it('gives the message alone, or its first line, for a person at a terminal', () => {
    const error = new Error('cannot reach app@127.0.0.1:9700\n    at somewhere')
    expect(describeError(error, { name: false })).toBe(error.message)
    expect(describeError(error, { name: false, firstLine: true })).toBe('cannot reach app@127.0.0.1:9700')
    expect(describeError(error, { firstLine: true })).toBe('Error: cannot reach app@127.0.0.1:9700')
  })

  it('gives the name of an error with no message', () => {
    expect(describeError(new RangeError())).toBe('RangeError')
    expect(describeError(new RangeError(), { name: false })).toBe('RangeError')
  })

  it('describes a value whose toString throws', () => {
    const hostile = {
      toString() {
        throw new Error('no')
      },
    }
    expect(errorParts(hostile)).toEqual({ name: 'object', message: '[object Object]' })
    expect(describeError(hostile)).toBe('[object Object]')
  })
})
