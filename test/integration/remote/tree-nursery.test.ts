import { type ActorSystem, RemoteActorError, start } from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { tree } from '../../fixtures/tree-functions.ts'
import { processGone, stillRunning } from '../../support/processes.ts'
import { within } from '../transport/support.ts'

const systems: ActorSystem[] = []
const strayPids: number[] = []

afterEach(async () => {
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

async function system(): Promise<ActorSystem> {
  const s = await start({ logLevel: 'silent' })
  systems.push(s)
  return s
}

describe('a tree of nurseries and child nodes', () => {
  it('a failure in a nursery nested in a child process arrives as a RemoteActorError caused by it', async () => {
    const s = await system()
    const error = await within(
      s
        .nursery(async (n) => {
          n.runInActor('middle', tree.nestedFailure, ['local'], { in: 'process' })
        })
        .catch((e: unknown) => e),
      30_000,
      'the nursery to fail',
    )
    expect(error).toBeInstanceOf(RemoteActorError)
    const remote = error as RemoteActorError
    expect(remote.actor).toMatch(/\/user\/middle$/)
    expect(remote.cause).toBeInstanceOf(RangeError)
    expect((remote.cause as Error).message).toBe('nested local failure')
  }, 40_000)

  it('a failure two levels down (process, then thread) nests: RemoteActorError caused by a RemoteActorError', async () => {
    const s = await system()
    const error = await within(
      s
        .nursery(async (n) => {
          n.runInActor('middle', tree.nestedFailure, ['thread'], { in: 'process' })
        })
        .catch((e: unknown) => e),
      30_000,
      'the nursery to fail',
    )
    expect(error).toBeInstanceOf(RemoteActorError)
    const outer = error as RemoteActorError
    expect(outer.actor).toMatch(/\/user\/middle$/)
    expect(outer.cause).toBeInstanceOf(RemoteActorError)
    const inner = outer.cause as RemoteActorError
    expect(inner.actor).toMatch(/\/user\/grandchild$/)
    expect(inner.cause).toBeInstanceOf(RangeError)
    expect((inner.cause as Error).message).toBe('child 7 failed at once')
  }, 40_000)

  it('a daemon stuck in a synchronous loop is killed after the grace period by cancelActor', async () => {
    const s = await system()
    await s.nursery(async (n) => {
      const spinner = await within(
        n.startActor('spinner', { expose: [tree], in: 'process' }),
        20_000,
        'the daemon to start',
      )
      const pid = await spinner.run(tree.pid)
      strayPids.push(pid)
      expect(processGone(pid)).toBe(false)
      const spinning = spinner.run(tree.spin)
      spinning.catch(() => {})
      const before = performance.now()
      await within(spinner.cancelActor(), 1_500 + 1_000, 'cancelActor()')
      const ms = performance.now() - before
      console.log(`cancelActor of a spinning process daemon: ${Math.round(ms)} ms`)
      expect(await goneWithin(pid, 500)).toBe(true)
    })
  }, 40_000)
})

/** Whether `pid` is gone within `ms`. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  return (await stillRunning([pid], ms)).length === 0
}
