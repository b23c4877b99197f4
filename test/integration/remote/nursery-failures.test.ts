import { AssertionError } from 'node:assert'
import { type ActorSystem, CancelledError, failAfter, RemoteActorError, start } from 'troupe'
import { createTestProbe } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { failing } from '../../fixtures/failing-functions.ts'
import { within } from '../transport/support.ts'

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

async function system(): Promise<ActorSystem> {
  const s = await start({ logLevel: 'silent', errorClasses: [AssertionError] })
  systems.push(s)
  return s
}

/**
 * Settles with what `nursery` settled with within `ms`; if it has not by then, cancels it through
 * `cancel` and waits for it (its children stopped) before failing.
 */
async function settledWithin(
  nursery: Promise<unknown>,
  cancel: AbortController,
  ms: number,
): Promise<unknown> {
  const outcome = nursery.then(
    () => undefined,
    (e: unknown) => e,
  )
  try {
    return await within(outcome, ms, 'the nursery to end')
  } catch (error) {
    cancel.abort()
    await outcome
    throw error
  }
}

// tractor's test_multierror_fast_nursery: every child fails while its siblings are still starting.
// A child costs about a second of CPU to start (a thread somewhat less) on two cores: the suite
// starts 12 threads and 5 processes, with deadlines a loaded machine meets (25 threads did not).
describe.each([
  ['thread', 12],
  ['process', 5],
] as const)('%s children that fail while others start', (kind, count) => {
  it(`${count} failures give one AggregateError with ${count} causes`, async () => {
    const s = await system()
    const cancel = new AbortController()
    const before = performance.now()
    const error = await settledWithin(
      s.nursery(
        async (n) => {
          for (let i = 0; i < count; i++) n.runInActor(`failer-${i}`, failing.assertErr, [], { in: kind })
        },
        { signal: cancel.signal },
      ),
      cancel,
      45_000,
    )
    console.log(`${count} failing ${kind} children: ${Math.round(performance.now() - before)} ms`)
    expect(error).toBeInstanceOf(AggregateError)
    const causes = (error as AggregateError).errors
    expect(causes).toHaveLength(count)
    for (const cause of causes) {
      expect(cause).toBeInstanceOf(RemoteActorError)
      expect((cause as RemoteActorError).cause).toBeInstanceOf(AssertionError)
    }
    const actors = causes.map((c: RemoteActorError) => c.actor.replace(/^.*\/user\//, '')).sort()
    expect(actors).toEqual(Array.from({ length: count }, (_, i) => `failer-${i}`).sort())
  }, 60_000)
})

/** The grace a cancelled run's function has to answer, and a child to exit, before it is stopped. */
const GRACE_MS = 1_500

/** What a cancelled nursery ended with: `'returned'` or its error, within 20 s. */
function outcomeOf(nursery: Promise<unknown>): Promise<unknown> {
  return within(
    nursery.then(
      () => 'returned',
      (e: unknown) => e,
    ),
    20_000,
    'the cancelled nursery to end',
  )
}

/**
 * Runs `count` runs of `fn` (given a probe to tell it runs) in a nursery, cancels the nursery from
 * outside once every function runs, and returns how it ended and how long that took.
 */
async function cancelOnceRunning(
  s: ActorSystem,
  kind: 'thread' | 'process',
  fn: typeof failing.waitForCancel | typeof failing.ignoreCancel | typeof failing.spin,
  count: number,
): Promise<{ outcome: unknown; ms: number }> {
  const probe = createTestProbe<string>(s)
  const cancel = new AbortController()
  const nursery = s.nursery(
    async (n) => {
      for (let i = 0; i < count; i++) n.runInActor(`run-${i}`, fn, [probe.ref], { in: kind })
    },
    { signal: cancel.signal },
  )
  try {
    await probe.receiveMessages(count, { timeout: 20_000 })
  } finally {
    cancel.abort(new CancelledError('cancelled from outside'))
  }
  const before = performance.now()
  const outcome = await outcomeOf(nursery)
  return { outcome, ms: performance.now() - before }
}

describe('a nursery of child runs cancelled from outside', () => {
  it.each(['thread', 'process'] as const)(
    'ends soon when its %s functions honour their cancel',
    async (kind) => {
      const s = await system()
      const { outcome, ms } = await cancelOnceRunning(s, kind, failing.waitForCancel, 3)
      console.log(`cancelled nursery of 3 ${kind} runs that honour it: ${Math.round(ms)} ms`)
      expect(outcome).toBeInstanceOf(CancelledError)
      expect((outcome as Error).message).toBe('cancelled from outside')
      expect(ms).toBeLessThan(GRACE_MS)
    },
    40_000,
  )

  it('waits the grace for thread functions that ignore their cancel, then stops them', async () => {
    const s = await system()
    const { outcome, ms } = await cancelOnceRunning(s, 'thread', failing.ignoreCancel, 3)
    console.log(`cancelled nursery of 3 thread runs that ignore it: ${Math.round(ms)} ms`)
    expect((outcome as Error).message).toBe('cancelled from outside')
    expect(ms).toBeGreaterThanOrEqual(GRACE_MS - 50)
    expect(ms).toBeLessThan(GRACE_MS + 1_500)
  }, 40_000)

  it.each(['thread', 'process'] as const)(
    'terminates a %s stuck in a synchronous loop once it has not answered within the grace',
    async (kind) => {
      const s = await system()
      const { outcome, ms } = await cancelOnceRunning(s, kind, failing.spin, 1)
      console.log(`cancelled nursery of a spinning ${kind}: ${Math.round(ms)} ms`)
      expect((outcome as Error).message).toBe('cancelled from outside')
      // the grace for its answer, then it is terminated at once (no second grace)
      expect(ms).toBeGreaterThanOrEqual(GRACE_MS - 50)
      expect(ms).toBeLessThan(GRACE_MS + 1_000)
    },
    40_000,
  )

  it('cancels a run started after the nursery was cancelled', async () => {
    const s = await system()
    const cancel = new AbortController()
    const nursery = s.nursery(
      async (n) => {
        cancel.abort(new CancelledError('cancelled from outside'))
        n.runInActor('late', failing.waitForCancel, [], { in: 'thread' })
      },
      { signal: cancel.signal },
    )
    const outcome = await outcomeOf(nursery)
    expect((outcome as Error).message).toBe('cancelled from outside')
  }, 40_000)
})

describe.each(['thread', 'process'] as const)('a failure in a %s child counts once', (kind) => {
  it('a body that awaits the result of a run that fails throws its RemoteActorError alone', async () => {
    const s = await system()
    const error = await failAfter(20_000, () =>
      s.nursery(async (n) => {
        const run = n.runInActor('failer', failing.assertErr, [], { in: kind })
        await run.result()
      }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(AssertionError)
  }, 30_000)

  it('a body whose startActor portal call fails throws its RemoteActorError alone', async () => {
    const s = await system()
    const error = await failAfter(20_000, () =>
      s.nursery(async (n) => {
        const portal = await n.startActor('caller', { expose: [failing], in: kind })
        await portal.run(failing.assertErr)
      }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(AssertionError)
  }, 30_000)
})
