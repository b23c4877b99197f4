import { threadId } from 'node:worker_threads'
import { type ActorSystem, type ChildPortal, RemoteActorError, start } from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { lines } from '../../fixtures/portal-functions.ts'

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

async function system(): Promise<ActorSystem> {
  const s = await start({ logLevel: 'silent' })
  systems.push(s)
  return s
}

describe.each(['thread', 'process'] as const)('a nursery running functions in child %s nodes', (kind) => {
  it('runInActor runs an exposed function in a child node and returns its result', async () => {
    const s = await system()
    const [where, hello] = await s.nursery(async (n) => {
      const donny = n.runInActor('donny', lines.hi, [], { in: kind })
      const gretchen = n.runInActor('gretchen', lines.sayHello, ['gretchen'], { in: kind })
      expect(donny.ref.name).toBe('donny')
      return Promise.all([donny.result(), gretchen.result()])
    })
    if (kind === 'process') expect(where.pid).not.toBe(process.pid)
    else expect(where.threadId).not.toBe(threadId)
    expect(where.name).toBe('donny')
    expect(hello).toMatch(/gretchen/)
  })

  it('a function that throws fails the nursery with a RemoteActorError', async () => {
    const s = await system()
    const error = await s
      .nursery(async (n) => {
        n.runInActor('slow', lines.sayHello, ['slow'], { in: kind })
        n.runInActor('divider', lines.divide, [1, 0], { in: kind })
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
  })

  it('startActor starts a daemon whose portal runs functions until it is cancelled', async () => {
    const s = await system()
    await s.nursery(async (n) => {
      const frank = await n.startActor('frank', { expose: [lines], in: kind })
      expect(frank.name).toBe('frank')
      expect(await frank.run(lines.sayHello, ['frank'])).toMatch(/frank/)
      const where = await frank.run(lines.hi)
      expect(where.name).toBe('frank')
      await frank.cancelActor()
      expect((await s.watch(frank)).reason).toBe('node-down')
    })
  })

  it('a daemon still running when the nursery body returns is stopped with it', async () => {
    const s = await system()
    let daemon: ChildPortal | undefined
    await s.nursery(async (n) => {
      daemon = await n.startActor('idle', { expose: [lines], in: kind })
    })
    // the nursery returned, so its daemon's node is gone: a watch reports it at once
    expect((await s.watch(daemon!)).reason).toBe('node-down')
  })

  it('cancelActor stops the child; the nursery does not count it as a failure', async () => {
    const s = await system()
    await s.nursery(async (n) => {
      const run = n.runInActor('forever', lines.failLater, [], { in: kind })
      await run.cancelActor()
      await expect(run.result()).rejects.toBeDefined()
    })
  })
})
