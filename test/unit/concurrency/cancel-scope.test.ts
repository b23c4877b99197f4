import { getEventListeners, setMaxListeners } from 'node:events'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type CancelScope, currentSignal, openCancelScope } from '../../../src/concurrency/cancel-scope.ts'
import { CancelledError, InvalidOptionError, TimeoutError } from '../../../src/concurrency/errors.ts'
import { openNursery } from '../../../src/concurrency/nursery.ts'
import { moveOnAfter, sleep } from '../../../src/concurrency/timeouts.ts'

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length

afterEach(() => {
  vi.useRealTimers()
})

describe('currentSignal', () => {
  it('is undefined outside every scope', () => {
    expect(currentSignal()).toBeUndefined()
  })

  it('is the scope signal in fn, across awaits, timers and promise callbacks, and not after', async () => {
    const seen: (AbortSignal | undefined)[] = []
    let scopeSignal: AbortSignal | undefined
    await openCancelScope(async (scope) => {
      scopeSignal = scope.signal
      seen.push(currentSignal())
      await Promise.resolve()
      seen.push(currentSignal())
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          seen.push(currentSignal())
          resolve()
        }),
      )
      await Promise.resolve().then(() => seen.push(currentSignal()))
    })
    expect(seen).toHaveLength(4)
    for (const signal of seen) expect(signal).toBe(scopeSignal)
    expect(currentSignal()).toBeUndefined()
  })
})

describe('openCancelScope', () => {
  it('resolves with what fn returns, sync or async', async () => {
    await expect(openCancelScope(() => 7)).resolves.toBe(7)
    await expect(openCancelScope(async () => 'x')).resolves.toBe('x')
  })

  it('rejects with what fn throws, sync or async', async () => {
    const err = new Error('boom')
    await expect(
      openCancelScope(() => {
        throw err
      }),
    ).rejects.toBe(err)
    await expect(openCancelScope(async () => Promise.reject(err))).rejects.toBe(err)
  })

  it('nests: the inner scope is ambient inside, the outer again after', async () => {
    await openCancelScope(async (outer) => {
      await openCancelScope(async (inner) => {
        expect(currentSignal()).toBe(inner.signal)
        expect(inner.signal).not.toBe(outer.signal)
      })
      expect(currentSignal()).toBe(outer.signal)
    })
  })

  it('cancelling the outer scope cancels the inner with the same reason', async () => {
    await openCancelScope(async (outer) => {
      await openCancelScope(async (inner) => {
        outer.cancel('enough')
        expect(inner.cancelled).toBe(true)
        expect(inner.cancelledBy).toBe('parent')
        expect(outer.cancelledBy).toBe('cancel')
        expect(inner.signal.reason).toBe(outer.signal.reason)
        const reason = outer.signal.reason as CancelledError
        expect(reason).toBeInstanceOf(CancelledError)
        expect(reason.reason).toBe('enough')
      })
    })
  })

  it('cancelling the inner scope leaves the outer running', async () => {
    await openCancelScope(async (outer) => {
      await openCancelScope((inner) => inner.cancel())
      expect(outer.cancelled).toBe(false)
      expect(outer.cancelledBy).toBeUndefined()
    })
  })

  it('cancel() aborts with a CancelledError once; later calls change nothing', async () => {
    const given = new CancelledError('given')
    await openCancelScope((scope) => {
      expect(scope.cancelled).toBe(false)
      scope.cancel(given)
      scope.cancel('second')
      expect(scope.cancelled).toBe(true)
      expect(scope.signal.reason).toBe(given)
    })
  })

  it('follows options.signal, wrapping a foreign reason in a CancelledError', async () => {
    const controller = new AbortController()
    await openCancelScope(
      (scope) => {
        const foreign = new Error('user pressed stop')
        controller.abort(foreign)
        expect(scope.cancelledBy).toBe('parent')
        const reason = scope.signal.reason as CancelledError
        expect(reason).toBeInstanceOf(CancelledError)
        expect(reason.cause).toBe(foreign)
      },
      { signal: controller.signal },
    )
  })

  it('starts cancelled, and still runs fn, when options.signal has already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    let ran = false
    await openCancelScope(
      (scope) => {
        ran = true
        expect(scope.cancelled).toBe(true)
        expect(scope.signal.reason).toBeInstanceOf(CancelledError)
      },
      { signal: controller.signal },
    )
    expect(ran).toBe(true)
  })

  it('cancels itself with a TimeoutError at its deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const start = Date.now()
    let scope: CancelScope | undefined
    const done = openCancelScope(
      async (s) => {
        scope = s
        await sleep(Number.POSITIVE_INFINITY)
      },
      { deadlineMs: 1_000 },
    )
    const settled = done.catch((err: unknown) => err)
    expect(scope?.deadline).toBe(start + 1_000)
    await vi.advanceTimersByTimeAsync(999)
    expect(scope?.cancelled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(scope?.cancelledBy).toBe('deadline')
    const reason = scope?.signal.reason as TimeoutError
    expect(reason).toBeInstanceOf(TimeoutError)
    expect(reason.ms).toBe(1_000)
    expect(await settled).toBe(reason)
  })

  it('has an infinite deadline by default and a cancelled start at deadlineMs <= 0', async () => {
    await openCancelScope((scope) => expect(scope.deadline).toBe(Number.POSITIVE_INFINITY))
    await openCancelScope(
      (scope) => {
        expect(scope.cancelledBy).toBe('deadline')
        expect(scope.signal.reason).toBeInstanceOf(TimeoutError)
      },
      { deadlineMs: 0 },
    )
  })

  it('rejects a NaN deadline', async () => {
    await expect(openCancelScope(() => 1, { deadlineMs: Number.NaN })).rejects.toBeInstanceOf(
      InvalidOptionError,
    )
  })

  it('clears its deadline timer when it exits', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    await openCancelScope(() => expect(vi.getTimerCount()).toBe(1), { deadlineMs: 60_000 })
    expect(vi.getTimerCount()).toBe(0)
    await openCancelScope((scope) => scope.cancel(), { deadlineMs: 60_000 })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('waits out deadlines beyond the 24.8 days of one setTimeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const limit = 2 ** 31 - 1
    let scope: CancelScope | undefined
    const done = openCancelScope(
      async (s) => {
        scope = s
        await sleep(Number.POSITIVE_INFINITY)
      },
      { deadlineMs: limit + 1_000 },
    )
    const settled = done.catch((err: unknown) => err)
    await vi.advanceTimersByTimeAsync(limit)
    expect(scope?.cancelled).toBe(false)
    await vi.advanceTimersByTimeAsync(999)
    expect(scope?.cancelled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(scope?.cancelledBy).toBe('deadline')
    expect(await settled).toBeInstanceOf(TimeoutError)
  })
})

describe('listener cleanup', () => {
  it('leaves no listener on a long-lived signal after 1000 sequential scopes', async () => {
    const longLived = new AbortController()
    for (let i = 0; i < 1_000; i++) {
      await openCancelScope(() => expect(abortListeners(longLived.signal)).toBe(1), {
        signal: longLived.signal,
      })
    }
    expect(abortListeners(longLived.signal)).toBe(0)
  })

  it('leaves no listener after 1000 concurrent scopes, cancelled or not', async () => {
    const longLived = new AbortController()
    // The caller owns this signal; only Troupe's own signals must not warn.
    setMaxListeners(0, longLived.signal)
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => {
      warnings.push(warning)
    }
    process.on('warning', onWarning)
    try {
      await openCancelScope(async (outer) => {
        let release = (): void => {}
        const gate = new Promise<void>((resolve) => {
          release = resolve
        })
        const scopes = Array.from({ length: 1_000 }, (_, i) =>
          openCancelScope(
            async (scope) => {
              if (i % 2 === 0) scope.cancel()
              await gate
            },
            { signal: longLived.signal },
          ),
        )
        expect(abortListeners(longLived.signal)).toBe(500)
        expect(abortListeners(outer.signal)).toBe(500)
        release()
        await Promise.all(scopes)
        expect(abortListeners(outer.signal)).toBe(0)
      })
      await new Promise<void>((resolve) => setImmediate(resolve))
    } finally {
      process.off('warning', onWarning)
    }
    expect(abortListeners(longLived.signal)).toBe(0)
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
  })

  it('leaves no listener on an enclosing scope after 1000 timeouts, nurseries and sleeps', async () => {
    await openCancelScope(async (outer) => {
      for (let i = 0; i < 1_000; i++) {
        await moveOnAfter(60_000, () => Promise.resolve())
        await openNursery(async (n) => {
          n.startSoon(() => Promise.resolve())
          n.startSoon(() => 1).cancel()
        })
        if (i % 100 === 0) await sleep(0)
      }
      expect(abortListeners(outer.signal)).toBe(0)
    })
  })
})

describe('properties', () => {
  it('cancelling scope k of a chain cancels exactly the scopes nested in it, with one reason', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }).chain((depth) => fc.tuple(fc.constant(depth), fc.nat(depth - 1))),
        async ([depth, k]) => {
          const longLived = new AbortController()
          const scopes: CancelScope[] = []
          const nest = async (level: number): Promise<void> => {
            if (level === depth) {
              scopes[k]?.cancel(`cancel ${k}`)
              return
            }
            await openCancelScope(
              async (scope) => {
                scopes.push(scope)
                await nest(level + 1)
              },
              level === 0 ? { signal: longLived.signal } : {},
            )
          }
          await nest(0)
          const reason = scopes[k]?.signal.reason
          scopes.forEach((scope, i) => {
            expect(scope.cancelled).toBe(i >= k)
            if (i >= k) expect(scope.signal.reason).toBe(reason)
            expect(scope.cancelledBy).toBe(i < k ? undefined : i === k ? 'cancel' : 'parent')
          })
          expect(abortListeners(longLived.signal)).toBe(0)
        },
      ),
    )
  })
})
