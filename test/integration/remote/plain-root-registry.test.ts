import { type ActorSystem, failAfter, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { fns } from '../../fixtures/cluster-functions.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'

const { systems } = reapAfterEach()

/** A root as `start()` alone makes it: no node name, no port, no registry option. */
async function plainRoot(): Promise<ActorSystem> {
  const system = await start({ logLevel: 'silent' })
  systems.push(system)
  return system
}

describe.each(['process', 'thread'] as const)('the children of a plain start() in %ss', (kind) => {
  it('find each other by name and call each other (tractor first scene)', { timeout: 60_000 }, async () => {
    const system = await plainRoot()
    const [fromDonny, fromGretchen] = await failAfter(40_000, () =>
      system.nursery(async (n) => {
        const donny = n.runInActor('donny', fns.askPeer, ['gretchen'], { in: kind })
        const gretchen = n.runInActor('gretchen', fns.askPeer, ['donny'], { in: kind })
        return await Promise.all([donny.result(), gretchen.result()])
      }),
    )
    expect(fromDonny).toMatchObject({ name: 'gretchen', parent: system.node })
    expect(fromGretchen).toMatchObject({ name: 'donny', parent: system.node })
    expect(fromDonny?.node).not.toBe(fromGretchen?.node)
  })
})

describe('a child of a plain start()', () => {
  it("finds a sibling's name, and not a name nobody has", { timeout: 60_000 }, async () => {
    const system = await plainRoot()
    const found = await failAfter(40_000, () =>
      system.nursery(async (n) => {
        const sibling = await n.startActor('sibling', { expose: [fns], in: 'thread' })
        const answers = await Promise.all([
          n.runInActor('seeker', fns.knows, ['sibling'], { in: 'process' }).result(),
          n.runInActor('loner', fns.knows, ['nobody'], { in: 'thread' }).result(),
        ])
        await sibling.cancelActor()
        return answers
      }),
    )
    expect(found).toEqual([true, false])
  })
})

/** A member of a networked cluster whose registry is on another node. */
async function clusterMember(): Promise<ActorSystem> {
  const root = await start({ node: `root@127.0.0.1:${await freePort()}`, registry: true, logLevel: 'silent' })
  systems.push(root)
  const member = await start({
    node: `member@127.0.0.1:${await freePort()}`,
    registry: root.node,
    logLevel: 'silent',
  })
  systems.push(member)
  return member
}

// Each round starts a thread: about 0.6 s on a quiet machine, over 2 s on a loaded one.
describe.each([
  ['a plain start()', plainRoot, 10],
  ['a member of a networked cluster', clusterMember, 5],
] as const)('startActor on %s', (_what, parent, rounds) => {
  it(`resolves once the name is registered: findActor finds it at once, ${rounds} times in a row`, {
    timeout: rounds * 4_000,
  }, async () => {
    const system = await parent()
    const missed: number[] = []
    await system.nursery(async (n) => {
      for (let i = 0; i < rounds; i++) {
        const daemon = await failAfter(20_000, () =>
          n.startActor(`daemon-${i}`, { expose: [fns], in: 'thread' }),
        )
        if ((await system.findActor(`daemon-${i}`)) === undefined) missed.push(i)
        await daemon.cancelActor()
      }
    })
    expect(missed).toEqual([])
  })
})
