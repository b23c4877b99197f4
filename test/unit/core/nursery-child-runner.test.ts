import { CancelledError, expose, type Ref, start } from 'troupe'
import { deferred } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { CHILD_RUNNER, type ChildRun, type ChildRunner } from '../../../src/core/internal.ts'

const fns = expose(import.meta.url, { fail: () => 0 })

/** A child runner whose runs the test settles by hand. */
function fakeRunner(): {
  runner: ChildRunner
  runs: { settle: ReturnType<typeof deferred<unknown>>; cancelled: boolean }[]
} {
  const runs: { settle: ReturnType<typeof deferred<unknown>>; cancelled: boolean }[] = []
  const runner: ChildRunner = {
    run(): ChildRun {
      const entry = { settle: deferred<unknown>(), cancelled: false }
      runs.push(entry)
      return {
        ref: {} as Ref,
        result: entry.settle.promise,
        cancel: async () => {
          entry.cancelled = true
        },
      }
    },
    start: () => Promise.reject(new Error('not used')),
  }
  return { runner, runs }
}

describe('a nursery of child runs', () => {
  it('keeps a failure that lands while it is cancelling, and drops only cancellations', async () => {
    const system = await start({ logLevel: 'silent' })
    try {
      const { runner, runs } = fakeRunner()
      system.extensions.set(CHILD_RUNNER, runner)
      const outcome = system
        .nursery(async (n) => {
          for (let i = 0; i < 3; i++) n.runInActor(`c${i}`, fns.fail, [], { in: 'thread' })
        })
        .catch((e: unknown) => e)
      await Promise.resolve()
      runs[0]!.settle.reject(new Error('first'))
      // the nursery now cancels the others; one fails anyway, one reports its cancellation
      await new Promise((resolve) => setImmediate(resolve))
      expect(runs[1]!.cancelled && runs[2]!.cancelled).toBe(true)
      runs[1]!.settle.reject(new Error('second, while cancelling'))
      runs[2]!.settle.reject(new CancelledError('called off'))
      const error = await outcome
      expect(error).toBeInstanceOf(AggregateError)
      expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
        'first',
        'second, while cancelling',
      ])
    } finally {
      await system.shutdown()
    }
  })
})
