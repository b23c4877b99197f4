import { type ActorSystem, RemoteActorError, start } from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { tree } from '../../fixtures/tree-functions.ts'

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

describe('many children failing at once', () => {
  it('failures that land while the nursery cancels are kept, each a RemoteActorError, within 30 s', async () => {
    const system = await start({ logLevel: 'silent' })
    systems.push(system)
    const t0 = performance.now()
    const error = await system
      .nursery(async (n) => {
        for (let i = 0; i < 25; i++) n.runInActor(`f${i}`, tree.failNow, [i], { in: 'thread' })
      })
      .catch((e: unknown) => e)
    const elapsed = performance.now() - t0
    const causes = error instanceof AggregateError ? error.errors : [error]
    console.log(`25 failing children: ${causes.length} causes in ${elapsed.toFixed(0)} ms`)
    expect(causes.length).toBeGreaterThanOrEqual(1)
    for (const cause of causes) expect(cause).toBeInstanceOf(RemoteActorError)
    expect(elapsed).toBeLessThan(30_000)
  }, 60_000)
})
