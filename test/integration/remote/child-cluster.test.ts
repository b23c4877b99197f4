import {
  type ActorSystem,
  type ChildNode,
  findActor,
  InvalidOptionError,
  RemoteActorError,
  start,
  startChildNode,
  waitForActor,
} from 'troupe'
import { freePort } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { fns, Host } from '../../fixtures/cluster-functions.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'
import { within } from '../transport/support.ts'

const fixture = new URL('../../fixtures/cluster-functions.ts', import.meta.url).href
const { systems, children } = reapAfterEach()

async function root(options: { frameAuth?: boolean } = {}): Promise<ActorSystem> {
  const system = await start({
    node: `root@127.0.0.1:${await freePort()}`,
    registry: true,
    logLevel: 'silent',
    ...options,
  })
  systems.push(system)
  system.expose({ Host })
  return system
}

async function child(system: ActorSystem, kind: 'thread' | 'process', name: string): Promise<ChildNode> {
  const node = await within(
    startChildNode(system, { in: kind, modules: [fixture] }),
    20_000,
    `a child ${kind}`,
  )
  children.push(node)
  system.spawn(Host, { on: node.node, name })
  return node
}

describe.each(['thread', 'process'] as const)('a child %s of a cluster node', (kind) => {
  it('joins the registry: findActor anywhere gives a portal that runs its functions as the actor', async () => {
    const system = await root()
    const host = await child(system, kind, 'host')
    const portal = await within(system.waitForActor('host', { timeout: 10_000 }), 15_000, 'host')
    const me = await portal.run(fns.whoAmI)
    expect(me).toMatchObject({ name: 'host', node: host.node, parent: system.node })
    expect(me?.uid).toMatch(/^[0-9a-f-]{36}$/)
    await expect(system.findActor('host')).resolves.toBeDefined()
    const failure = await portal.run(fns.fail).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(RemoteActorError)
    expect((failure as RemoteActorError).uid).toBe(me?.uid)
    expect((failure as RemoteActorError).actor).toBe(portal.address)
  })

  it('is reached by a third node, which learns its port from the registry', async () => {
    const system = await root()
    const host = await child(system, kind, 'host')
    const other = await start({
      node: `other@127.0.0.1:${await freePort()}`,
      registry: system.node,
      logLevel: 'silent',
    })
    systems.push(other)
    const portal = await within(other.waitForActor('host', { timeout: 10_000 }), 15_000, 'host')
    await expect(portal.run(fns.whoAmI)).resolves.toMatchObject({ name: 'host', node: host.node })
  })
})

describe('two children of a cluster node', () => {
  it('find each other and call each other at the same time (tractor first scene)', async () => {
    const system = await root()
    await Promise.all([child(system, 'process', 'donny'), child(system, 'thread', 'gretchen')])
    const [donny, gretchen] = await Promise.all([
      system.waitForActor('donny', { timeout: 10_000 }),
      system.waitForActor('gretchen', { timeout: 10_000 }),
    ])
    // Each waits for the other and connects to it: both connections open at once.
    const [fromDonny, fromGretchen] = await within(
      Promise.all([donny.run(fns.askPeer, ['gretchen']), gretchen.run(fns.askPeer, ['donny'])]),
      15_000,
      'both calls',
    )
    expect(fromDonny?.name).toBe('gretchen')
    expect(fromGretchen?.name).toBe('donny')
    expect(fromDonny?.uid).not.toBe(fromGretchen?.uid)
  })
})

describe('the child of a node that seals its frames on loopback', () => {
  it('seals its own: a third node that seals reaches it over TCP', async () => {
    // frameAuth is off by default on loopback: a child that did not take its parent's choice
    // would fail the handshake with the third node (frame-auth-mismatch).
    const system = await root({ frameAuth: true })
    const host = await child(system, 'thread', 'host')
    const other = await start({
      node: `other@127.0.0.1:${await freePort()}`,
      registry: system.node,
      frameAuth: true,
      logLevel: 'silent',
    })
    systems.push(other)
    const portal = await within(other.waitForActor('host', { timeout: 10_000 }), 15_000, 'host')
    await expect(within(portal.run(fns.whoAmI), 10_000, 'a call')).resolves.toMatchObject({ node: host.node })
  })
})

describe('runInActor in a child thread', () => {
  it('returns a portal to the running actor: run its functions while it works, then its result', async () => {
    const system = await root()
    await system.nursery(async (n) => {
      const sleeper = n.runInActor('sleeper', fns.sleepFor, [1_500], { in: 'thread' })
      const me = await within(sleeper.run(fns.whoAmI), 15_000, 'a run beside the function')
      expect(me).toMatchObject({ name: 'sleeper', parent: system.node })
      await expect(sleeper.result()).resolves.toBe('done')
    })
  })
})

describe('a grandchild of a cluster node', () => {
  it('joins the registry too: the root finds it and runs its functions', async () => {
    const system = await root()
    await system.nursery(async (n) => {
      const middle = n.runInActor('middle', fns.nest, ['grandchild', 3_000], { in: 'process' })
      const grandchild = await within(
        system.waitForActor('grandchild', { timeout: 15_000 }),
        20_000,
        'the grandchild',
      )
      const me = await within(grandchild.run(fns.whoAmI), 10_000, 'a run in the grandchild')
      const parent = await within(middle.run(fns.whoAmI), 10_000, 'a run in the middle child')
      expect(me?.name).toBe('grandchild')
      expect(me?.parent).toBe(parent?.node)
      expect(parent?.parent).toBe(system.node)
      await expect(middle.result()).resolves.toBe('done')
    })
  })
})

describe('findActor and waitForActor outside a function run as an actor', () => {
  it('reject with a clear error', async () => {
    await expect(findActor('anyone')).rejects.toThrow(InvalidOptionError)
    await expect(waitForActor('anyone')).rejects.toThrow(/outside of a function run as an actor/)
  })
})
