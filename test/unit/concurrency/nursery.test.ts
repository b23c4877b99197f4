import { getEventListeners } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { currentSignal, openCancelScope } from '../../../src/concurrency/cancel-scope.ts'
import { CancelledError, TimeoutError, TroupeError } from '../../../src/concurrency/errors.ts'
import { openNursery, type Task } from '../../../src/concurrency/nursery.ts'
import { failAfter, moveOnAfter, sleep } from '../../../src/concurrency/timeouts.ts'

const forever = Number.POSITIVE_INFINITY

interface Gate {
  readonly promise: Promise<void>
  open(): void
}
const gate = (): Gate => {
  let open = (): void => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}
const settle = <T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
const errorOf = async (promise: Promise<unknown>): Promise<unknown> => {
  const result = await settle(promise)
  if ('error' in result) return result.error
  throw new Error(`expected a rejection, got ${String(result.value)}`)
}

afterEach(() => {
  vi.useRealTimers()
})

describe('openNursery: success', () => {
  it('returns the body value only after every task has settled', async () => {
    const events: string[] = []
    const release = gate()
    const value = await openNursery(async (n) => {
      n.startSoon(async () => {
        await release.promise
        events.push('task done')
      })
      events.push('body done')
      release.open()
      return 'value'
    })
    events.push('nursery done')
    expect(value).toBe('value')
    expect(events).toEqual(['body done', 'task done', 'nursery done'])
  })

  it('starts tasks soon, not during startSoon', async () => {
    let started = false
    await openNursery((n) => {
      n.startSoon(() => {
        started = true
      })
      expect(started).toBe(false)
    })
    expect(started).toBe(true)
  })

  it('hands back task results, sync or async', async () => {
    const [a, b] = await openNursery(async (n) => {
      const a = n.startSoon(() => 1)
      const b = n.startSoon(async () => 'two')
      return Promise.all([a.result, b.result])
    })
    expect([a, b]).toEqual([1, 'two'])
  })

  it('makes the nursery signal ambient in the body and the task signal ambient in tasks', async () => {
    await openNursery(async (n) => {
      expect(currentSignal()).toBe(n.signal)
      const seen: (AbortSignal | undefined)[] = []
      const task = n.startSoon(async (signal) => {
        seen.push(currentSignal(), signal)
        await Promise.resolve()
        seen.push(currentSignal())
      })
      await task.result
      expect(seen).toEqual([task.signal, task.signal, task.signal])
      expect(task.signal).not.toBe(n.signal)
    })
  })

  it('lets a running task start another one after the body returned', async () => {
    const order: string[] = []
    await openNursery((n) => {
      n.startSoon(async () => {
        await Promise.resolve()
        n.startSoon(() => {
          order.push('grandchild')
        })
        order.push('child')
      })
    })
    expect(order).toEqual(['child', 'grandchild'])
  })

  it('refuses startSoon once it has closed', async () => {
    let nursery: Parameters<Parameters<typeof openNursery>[0]>[0] | undefined
    await openNursery((n) => {
      nursery = n
    })
    expect(() => nursery?.startSoon(() => 1)).toThrow(TroupeError)
    expect(() => nursery?.startSoon(() => 1)).toThrow(/closed/)
  })
})

describe('openNursery: failure', () => {
  it('one cancels all: a failing task cancels the others and is thrown as is', async () => {
    const boom = new Error('boom')
    const tasks: Task<void>[] = []
    const error = await errorOf(
      openNursery(async (n) => {
        tasks.push(n.startSoon(() => sleep(forever)))
        tasks.push(n.startSoon((signal) => delay(60_000, undefined, { signal })))
        tasks.push(
          n.startSoon(async () => {
            await Promise.resolve()
            throw boom
          }),
        )
        await sleep(forever)
      }),
    )
    expect(error).toBe(boom)
    for (const task of tasks.slice(0, 2)) {
      expect(task.signal.aborted).toBe(true)
      const reason = task.signal.reason as CancelledError
      expect(reason).toBeInstanceOf(CancelledError)
      expect(reason.cause).toBe(boom)
      await expect(task.result).rejects.toBeDefined()
    }
  })

  it('a failing body cancels every task and is thrown', async () => {
    const boom = new Error('body failed')
    let task: Task<void> | undefined
    const error = await errorOf(
      openNursery(async (n) => {
        task = n.startSoon(() => sleep(forever))
        await Promise.resolve()
        throw boom
      }),
    )
    expect(error).toBe(boom)
    expect(task?.signal.reason).toBeInstanceOf(CancelledError)
  })

  it('a synchronous throw in a task is a failure', async () => {
    const boom = new Error('sync')
    const error = await errorOf(
      openNursery((n) => {
        n.startSoon(() => {
          throw boom
        })
      }),
    )
    expect(error).toBe(boom)
  })

  it('25 tasks failing at once give an AggregateError with 25 errors', async () => {
    const release = gate()
    const thrown = Array.from({ length: 25 }, (_, i) => new Error(`task ${i}`))
    const error = await errorOf(
      openNursery(async (n) => {
        for (const err of thrown) {
          n.startSoon(async () => {
            await release.promise
            throw err
          })
        }
        release.open()
      }),
    )
    expect(error).toBeInstanceOf(AggregateError)
    const aggregate = error as AggregateError
    expect(aggregate.errors).toHaveLength(25)
    expect(new Set(aggregate.errors)).toEqual(new Set(thrown))
    expect(aggregate.message).toContain('25')
  })

  it('collects failures that land while it cancels the others, and ignores cancellations', async () => {
    const first = new Error('first')
    const cleanupA = new Error('cleanup A')
    const cleanupB = new Error('cleanup B')
    const failsOnCancel = (err: Error) => async () => {
      await sleep(forever).catch(() => {})
      throw err
    }
    const error = await errorOf(
      openNursery(async (n) => {
        n.startSoon(failsOnCancel(cleanupA))
        n.startSoon(() => sleep(forever)) // rejects with its signal's reason
        n.startSoon((signal) => delay(60_000, undefined, { signal })) // rejects with an AbortError
        n.startSoon(async () => {
          await sleep(forever).catch(() => {})
          throw new CancelledError('my own cancellation')
        })
        n.startSoon(failsOnCancel(cleanupB))
        n.startSoon(async () => {
          await Promise.resolve()
          throw first
        })
      }),
    )
    expect(error).toBeInstanceOf(AggregateError)
    const { errors } = error as AggregateError
    expect(errors[0]).toBe(first)
    expect(errors).toHaveLength(3)
    expect(new Set(errors)).toEqual(new Set([first, cleanupA, cleanupB]))
  })

  it('counts a body failure that lands during cancellation', async () => {
    const taskError = new Error('task')
    const bodyError = new Error('body cleanup')
    const error = await errorOf(
      openNursery(async (n) => {
        n.startSoon(async () => {
          throw taskError
        })
        await sleep(forever).catch(() => {})
        throw bodyError
      }),
    )
    expect((error as AggregateError).errors).toEqual([taskError, bodyError])
  })

  it('a task that rejects with a cancellation it was never sent has failed', async () => {
    const stray = new CancelledError('from somewhere else')
    const error = await errorOf(
      openNursery((n) => {
        n.startSoon(() => Promise.reject(stray))
      }),
    )
    expect(error).toBe(stray)
  })

  it('waits for a task that ignores cancellation', async () => {
    const events: string[] = []
    const stubborn = gate()
    const boom = new Error('boom')
    let stubbornTask: Task<void> | undefined
    const outcome = settle(
      openNursery((n) => {
        stubbornTask = n.startSoon(async () => {
          await stubborn.promise
          events.push('stubborn done')
        })
        n.startSoon(async () => {
          throw boom
        })
      }),
    )
    let settled = false
    void outcome.then(() => {
      settled = true
    })
    const signal = stubbornTask?.signal
    await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }))
    await new Promise((resolve) => setImmediate(resolve)) // drains every pending microtask
    expect(settled).toBe(false)
    stubborn.open()
    expect(await outcome).toEqual({ error: boom })
    expect(events).toEqual(['stubborn done'])
  })
})

describe('openNursery: cancellation', () => {
  it('task.cancel() cancels that task only and is not a failure', async () => {
    const value = await openNursery(async (n) => {
      const victim = n.startSoon(() => sleep(forever))
      const survivor = n.startSoon(async () => 'alive')
      victim.cancel('not needed')
      await expect(victim.result).rejects.toBeInstanceOf(CancelledError)
      expect(n.cancelled).toBe(false)
      return survivor.result
    })
    expect(value).toBe('alive')
  })

  it('n.cancel() stops the tasks; a body that returns still gives its value', async () => {
    let task: Task<void> | undefined
    const value = await openNursery((n) => {
      task = n.startSoon(() => sleep(forever))
      n.cancel()
      return 'stopped cleanly'
    })
    expect(value).toBe('stopped cleanly')
    expect(task?.signal.aborted).toBe(true)
  })

  it('n.cancel() from a task rejects with the CancelledError when the body was cancelled too', async () => {
    const error = await errorOf(
      openNursery(async (n) => {
        n.startSoon(() => n.cancel('done here'))
        await sleep(forever)
      }),
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).reason).toBe('done here')
  })

  it('tasks started after cancellation start with an aborted signal', async () => {
    await openNursery(async (n) => {
      n.cancel()
      const late = n.startSoon((signal) => signal.aborted)
      expect(await late.result).toBe(true)
    })
  })

  it('options.signal cancels every task; the nursery rejects with the CancelledError', async () => {
    const controller = new AbortController()
    const tasks: Task<void>[] = []
    const error = await errorOf(
      openNursery(
        async (n) => {
          for (let i = 0; i < 3; i++) tasks.push(n.startSoon(() => sleep(forever)))
          await Promise.resolve()
          controller.abort(new Error('shutting down'))
          return 'ignored'
        },
        { signal: controller.signal },
      ),
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect((error as CancelledError).cause).toEqual(new Error('shutting down'))
    for (const task of tasks) expect(task.signal.reason).toBe(error)
  })

  it('an enclosing scope cancels the nursery with its own reason', async () => {
    await openCancelScope(async (scope) => {
      const error = await errorOf(
        openNursery(async (n) => {
          n.startSoon(() => sleep(forever))
          scope.cancel('outer')
          await sleep(forever)
        }),
      )
      expect(error).toBe(scope.signal.reason)
    })
  })

  it('real failures win over an outside cancellation', async () => {
    const controller = new AbortController()
    const cleanup = new Error('cleanup failed')
    const error = await errorOf(
      openNursery(
        async (n) => {
          n.startSoon(async () => {
            await sleep(forever).catch(() => {})
            throw cleanup
          })
          await Promise.resolve()
          controller.abort()
        },
        { signal: controller.signal },
      ),
    )
    expect(error).toBe(cleanup)
  })

  it('moveOnAfter around a nursery moves on; failAfter throws TimeoutError', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const body = () =>
      openNursery(async (n) => {
        n.startSoon(() => sleep(forever))
        n.startSoon(() => sleep(forever))
        await sleep(forever)
      })
    const moved = settle(moveOnAfter(50, body))
    const failed = settle(failAfter(50, body))
    await vi.advanceTimersByTimeAsync(50)
    expect(await moved).toEqual({ value: undefined })
    const result = await failed
    expect('error' in result && result.error).toBeInstanceOf(TimeoutError)
  })

  it('nested nurseries: cancelling the outer cancels the inner tasks', async () => {
    const innerTasks: Task<void>[] = []
    const controller = new AbortController()
    const error = await errorOf(
      openNursery(
        async (outer) => {
          outer.startSoon(() =>
            openNursery(async (inner) => {
              innerTasks.push(inner.startSoon(() => sleep(forever)))
              await Promise.resolve()
              controller.abort()
              await sleep(forever)
            }),
          )
          await sleep(forever)
        },
        { signal: controller.signal },
      ),
    )
    expect(error).toBeInstanceOf(CancelledError)
    expect(innerTasks).toHaveLength(1)
    expect(innerTasks[0]?.signal.reason).toBe(error)
  })

  it('nested nurseries: an inner failure fails the outer and cancels its siblings', async () => {
    const boom = new Error('inner')
    let sibling: Task<void> | undefined
    const error = await errorOf(
      openNursery(async (outer) => {
        sibling = outer.startSoon(() => sleep(forever))
        outer.startSoon(() =>
          openNursery((inner) => {
            inner.startSoon(() => Promise.reject(boom))
          }),
        )
      }),
    )
    expect(error).toBe(boom)
    expect(sibling?.signal.aborted).toBe(true)
  })

  it('leaves no listener on a long-lived outside signal', async () => {
    const controller = new AbortController()
    for (let i = 0; i < 200; i++) {
      await openNursery(
        (n) => {
          n.startSoon(() => sleep(0))
          n.startSoon(() => openNursery((inner) => void inner.startSoon(() => 1)))
        },
        { signal: controller.signal },
      )
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})
