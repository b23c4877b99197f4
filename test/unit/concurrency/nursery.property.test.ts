import { getEventListeners } from 'node:events'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openNursery } from '../../../src/concurrency/nursery.ts'
import { sleep } from '../../../src/concurrency/timeouts.ts'

/**
 * How a generated task behaves: `ok` and `fail` wait for the scheduler then return or
 * throw, ignoring cancellation; `cooperate` waits until cancelled and rejects with the
 * reason; `failOnCancel` waits until cancelled and then throws a real error.
 */
type Behaviour = 'ok' | 'fail' | 'cooperate' | 'failOnCancel'
const behaviour = fc.constantFrom<Behaviour>('ok', 'fail', 'cooperate', 'failOnCancel')

describe('openNursery properties', () => {
  it('settles every task and reports exactly the real failures, in any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(behaviour, { maxLength: 12 }), async (s, behaviours) => {
        const outside = new AbortController()
        const errors = behaviours.map((b, i) => new Error(`${b} ${i}`))
        const expected = errors.filter((_, i) => behaviours[i] === 'fail' || behaviours[i] === 'failOnCancel')
        let settledTasks = 0

        const run = openNursery(
          async (n) => {
            const oks = behaviours.map((b, i) =>
              n.startSoon(async () => {
                try {
                  if (b === 'ok' || b === 'fail') {
                    await s.schedule(Promise.resolve(), `task ${i}`)
                    if (b === 'fail') throw errors[i]
                    return i
                  }
                  if (b === 'cooperate') return await sleep(Number.POSITIVE_INFINITY)
                  await sleep(Number.POSITIVE_INFINITY).catch(() => {})
                  throw errors[i]
                } finally {
                  settledTasks++
                }
              }),
            )
            await Promise.all(oks.filter((_, i) => behaviours[i] === 'ok').map((task) => task.result))
            n.cancel('body finished')
            return 'done'
          },
          { signal: outside.signal },
        )
        const outcome = await s.waitFor(
          run.then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          ),
        )

        expect(settledTasks).toBe(behaviours.length)
        expect(getEventListeners(outside.signal, 'abort')).toHaveLength(0)
        if (expected.length === 0) {
          expect(outcome).toEqual({ value: 'done' })
        } else if (expected.length === 1) {
          expect('error' in outcome && outcome.error).toBe(expected[0])
        } else {
          const error = 'error' in outcome ? outcome.error : undefined
          expect(error).toBeInstanceOf(AggregateError)
          const reported = (error as AggregateError).errors
          expect(reported).toHaveLength(expected.length)
          expect(new Set(reported)).toEqual(new Set(expected))
        }
      }),
      { numRuns: 200 },
    )
  })
})
