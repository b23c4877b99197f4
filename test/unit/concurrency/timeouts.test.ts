import { getEventListeners } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { currentSignal, openCancelScope } from '../../../src/concurrency/cancel-scope.ts'
import {
  CancelledError,
  InvalidOptionError,
  isCancellation,
  TimeoutError,
  TroupeError,
} from '../../../src/concurrency/errors.ts'
import { failAfter, moveOnAfter, sleep, throwIfCancelled } from '../../../src/concurrency/timeouts.ts'

const forever = Number.POSITIVE_INFINITY
const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length
const useFakeTimers = (): void => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
}
// A wait that, unlike sleep, ignores every signal.
const stubbornWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const settle = <T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )

afterEach(() => {
  vi.useRealTimers()
})

describe('moveOnAfter', () => {
  it('returns what fn returns when it finishes in time', async () => {
    await expect(moveOnAfter(60_000, () => 'sync')).resolves.toBe('sync')
    await expect(moveOnAfter(60_000, async () => 'async')).resolves.toBe('async')
  })

  it('gives fn a signal that is also the ambient one', async () => {
    await moveOnAfter(60_000, (signal) => {
      expect(currentSignal()).toBe(signal)
    })
  })

  it('returns undefined when its deadline cancels fn', async () => {
    useFakeTimers()
    const outcome = settle(moveOnAfter(100, () => sleep(forever)))
    await vi.advanceTimersByTimeAsync(100)
    expect(await outcome).toEqual({ value: undefined })
  })

  it('returns undefined when fn resolves after its deadline, having ignored it', async () => {
    useFakeTimers()
    let finished = false
    const outcome = settle(
      moveOnAfter(100, async () => {
        await stubbornWait(500)
        finished = true
        return 'late'
      }),
    )
    await vi.advanceTimersByTimeAsync(100)
    expect(finished).toBe(false)
    await vi.advanceTimersByTimeAsync(400)
    expect(await outcome).toEqual({ value: undefined })
    expect(finished).toBe(true)
  })

  it('returns undefined when fn rejects with an AbortError caused by its signal', async () => {
    useFakeTimers()
    const outcome = settle(moveOnAfter(10, (signal) => delay(60_000, undefined, { signal })))
    await vi.advanceTimersByTimeAsync(10)
    expect(await outcome).toEqual({ value: undefined })
  })

  it('propagates other errors, before or after its deadline', async () => {
    const early = new Error('early')
    await expect(moveOnAfter(60_000, () => Promise.reject(early))).rejects.toBe(early)
    useFakeTimers()
    const late = new Error('cleanup failed')
    const outcome = settle(
      moveOnAfter(10, async () => {
        await sleep(forever).catch(() => {})
        throw late
      }),
    )
    await vi.advanceTimersByTimeAsync(10)
    expect(await outcome).toEqual({ error: late })
  })

  it('does not swallow the cancellation of an enclosing scope', async () => {
    const outcome = await settle(
      openCancelScope(async (outer) => {
        await moveOnAfter(60_000, async () => {
          outer.cancel('outer')
          await sleep(forever)
        })
        return 'carried on'
      }),
    )
    expect('error' in outcome && outcome.error).toBeInstanceOf(CancelledError)
  })

  it('does not swallow the deadline of an enclosing failAfter that passes first', async () => {
    useFakeTimers()
    const outcome = settle(failAfter(10, () => moveOnAfter(1_000, () => sleep(forever))))
    await vi.advanceTimersByTimeAsync(10)
    const result = await outcome
    expect('error' in result && result.error).toBeInstanceOf(TimeoutError)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('takes about ms when fn cooperates (real clock)', async () => {
    const started = performance.now()
    await expect(moveOnAfter(30, () => sleep(forever))).resolves.toBeUndefined()
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(25)
    expect(elapsed).toBeLessThan(5_000)
  })
})

describe('failAfter', () => {
  it('returns what fn returns when it finishes in time', async () => {
    await expect(failAfter(60_000, async () => 42)).resolves.toBe(42)
  })

  it('throws the TimeoutError its signal aborted with', async () => {
    useFakeTimers()
    let signal: AbortSignal | undefined
    const outcome = settle(
      failAfter(250, (s) => {
        signal = s
        return sleep(forever)
      }),
    )
    await vi.advanceTimersByTimeAsync(250)
    const result = await outcome
    const error = 'error' in result ? result.error : undefined
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toBeInstanceOf(TroupeError)
    expect(error).toBe(signal?.reason)
    expect((error as TimeoutError).ms).toBe(250)
    expect(isCancellation(error)).toBe(false)
  })

  it('throws TimeoutError even when fn ignores the deadline and resolves', async () => {
    useFakeTimers()
    const outcome = settle(
      failAfter(10, async () => {
        await stubbornWait(50)
        return 'late'
      }),
    )
    await vi.advanceTimersByTimeAsync(50)
    const result = await outcome
    expect('error' in result && result.error).toBeInstanceOf(TimeoutError)
  })

  it('propagates a real error that fn throws after its deadline', async () => {
    useFakeTimers()
    const late = new Error('late failure')
    const outcome = settle(
      failAfter(10, async () => {
        await sleep(forever).catch(() => {})
        throw late
      }),
    )
    await vi.advanceTimersByTimeAsync(10)
    expect(await outcome).toEqual({ error: late })
  })

  it('lets an enclosing moveOnAfter whose deadline passes first move on', async () => {
    useFakeTimers()
    const outcome = settle(moveOnAfter(10, () => failAfter(1_000, () => sleep(forever))))
    await vi.advanceTimersByTimeAsync(10)
    expect(await outcome).toEqual({ value: undefined })
  })

  it('the innermost of nested deadlines fires: property', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 6 }),
        async (limits) => {
          useFakeTimers()
          try {
            const nest = (i: number): Promise<void> =>
              i === limits.length ? sleep(forever) : failAfter(limits[i]!, () => nest(i + 1))
            const outcome = settle(nest(0))
            await vi.advanceTimersByTimeAsync(Math.max(...limits))
            const result = await outcome
            const error = 'error' in result ? (result.error as TimeoutError) : undefined
            expect(error).toBeInstanceOf(TimeoutError)
            expect(error?.ms).toBe(Math.min(...limits))
            expect(vi.getTimerCount()).toBe(0)
          } finally {
            vi.useRealTimers()
          }
        },
      ),
    )
  })
})

describe('sleep', () => {
  it('resolves after ms', async () => {
    useFakeTimers()
    let done = false
    const sleeping = sleep(100).then(() => {
      done = true
    })
    await vi.advanceTimersByTimeAsync(99)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await sleeping
    expect(done).toBe(true)
  })

  it('rejects with the ambient scope reason when the scope is cancelled', async () => {
    await openCancelScope(async (scope) => {
      const sleeping = settle(sleep(forever))
      scope.cancel('stop')
      expect(await sleeping).toEqual({ error: scope.signal.reason })
    })
  })

  it('rejects with an explicit signal reason, and at once when it has already aborted', async () => {
    const controller = new AbortController()
    const sleeping = settle(sleep(forever, { signal: controller.signal }))
    controller.abort('why')
    expect(await sleeping).toEqual({ error: 'why' })
    await expect(sleep(0, { signal: controller.signal })).rejects.toBe('why')
  })

  it('listens to the ambient scope as well as an explicit signal', async () => {
    const unrelated = new AbortController()
    await openCancelScope(async (scope) => {
      const sleeping = settle(sleep(forever, { signal: unrelated.signal }))
      scope.cancel()
      expect(await sleeping).toEqual({ error: scope.signal.reason })
    })
  })

  it('removes its listeners and timer when it ends', async () => {
    useFakeTimers()
    const controller = new AbortController()
    const sleeping = sleep(100, { signal: controller.signal })
    expect(abortListeners(controller.signal)).toBe(1)
    await vi.advanceTimersByTimeAsync(100)
    await sleeping
    expect(abortListeners(controller.signal)).toBe(0)
    const cancelled = settle(sleep(100, { signal: controller.signal }))
    controller.abort()
    await cancelled
    expect(abortListeners(controller.signal)).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects a NaN duration', async () => {
    await expect(sleep(Number.NaN)).rejects.toBeInstanceOf(InvalidOptionError)
  })
})

describe('throwIfCancelled', () => {
  it('does nothing outside a scope or in a running one', async () => {
    expect(() => throwIfCancelled()).not.toThrow()
    await openCancelScope(() => expect(() => throwIfCancelled()).not.toThrow())
  })

  it('throws the ambient reason once the scope is cancelled', async () => {
    await openCancelScope((scope) => {
      scope.cancel()
      expect(() => throwIfCancelled()).toThrow(CancelledError)
    })
  })

  it('checks an explicit signal', () => {
    const controller = new AbortController()
    controller.abort(new TimeoutError(1))
    expect(() => throwIfCancelled(controller.signal)).toThrow(TimeoutError)
  })
})
