import {
  type ActorSystem,
  failAfter,
  type InspectionEvent,
  portalOf,
  start,
  startChildNode,
  UntrustedRequestError,
} from 'troupe'
import { freePort, InProcessNetwork } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { Counter } from '../../fixtures/child-actors.ts'
import { Host, lines } from '../../fixtures/portal-functions.ts'
import { Echo, type EchoMsg, linkerTo } from '../../fixtures/trust-actors.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'
import { startInProcessNode } from '../../support/in-process-node.ts'

const { systems, children } = reapAfterEach()
const childActors = new URL('../../fixtures/child-actors.ts', import.meta.url).href

type Refused = Extract<InspectionEvent, { type: 'refused' }>

/** The next `refused` event of `system` for `request`, waited for within `ms`. */
function nextRefusal(system: ActorSystem, request: string, ms = 5_000): () => Promise<Refused> {
  let seen: Refused | undefined
  let wake = () => {}
  const stop = system.inspect((event) => {
    if (event.type === 'refused' && event.request === request && seen === undefined) {
      seen = event
      stop()
      wake()
    }
  })
  return () =>
    failAfter(
      ms,
      (signal) =>
        new Promise<Refused>((resolve, reject) => {
          wake = () => resolve(seen!)
          if (seen !== undefined) wake()
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        }),
    )
}

async function untrustedPair() {
  const network = new InProcessNetwork()
  const guarded = await startInProcessNode(network, 'guarded', { untrusted: { allow: [lines.hi] } })
  const other = await startInProcessNode(network, 'other', { supervision: { decide: () => 'stop' } })
  systems.push(guarded, other)
  for (const system of [guarded, other]) system.expose({ echo: Echo, Host })
  guarded.spawn(Echo, { name: 'victim' })
  guarded.spawn(Host, { name: 'host' })
  const victim = other.refOf<EchoMsg>(`troupe://${guarded.node}/user/victim`)
  return { guarded, other, victim }
}

describe('an untrusted node, over the in-process network', () => {
  it('answers tells, asks and watches of any node', async () => {
    const { guarded, other, victim } = await untrustedPair()
    expect(await failAfter(5_000, () => victim.ask({ type: 'echo', text: 'hi' }))).toBe('hi')
    const watched = other.watch(victim)
    const local = guarded.actorAt('/user/victim')!
    await guarded.stop(local)
    expect((await failAfter(5_000, () => watched)).reason).toBe('stopped')
  })

  it('refuses a stop of its actors from another node: system.stop rejects with UntrustedRequestError', async () => {
    const { guarded, other, victim } = await untrustedPair()
    const refused = nextRefusal(guarded, 'stop')
    const error = await failAfter(5_000, () => other.stop(victim)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UntrustedRequestError)
    expect(error).toMatchObject({ node: guarded.node, from: other.node, request: 'stop' })
    expect((error as Error).message).toContain("'stop' of /user/victim")
    expect((error as Error).message).toContain('untrusted')
    const event = await refused()
    expect(event).toMatchObject({ from: other.node, subject: '/user/victim' })
    expect(await failAfter(5_000, () => victim.ask({ type: 'echo', text: 'still here' }))).toBe('still here')
  })

  it('refuses a kill and a snapshot from another node, as it refuses a stop', async () => {
    const { guarded, other, victim } = await untrustedPair()
    const refusedKill = nextRefusal(guarded, 'stop')
    const killError = await failAfter(5_000, () => other.kill(victim)).catch((e: unknown) => e)
    expect(killError).toBeInstanceOf(UntrustedRequestError)
    expect(await refusedKill()).toMatchObject({ from: other.node, subject: '/user/victim' })
    const refusedSnapshot = nextRefusal(guarded, 'snapshot')
    const snapshotError = await failAfter(5_000, () => other.snapshot(victim)).catch((e: unknown) => e)
    expect(snapshotError).toBeInstanceOf(UntrustedRequestError)
    expect(snapshotError).toMatchObject({ node: guarded.node, from: other.node, request: 'snapshot' })
    expect(await refusedSnapshot()).toMatchObject({ from: other.node, subject: '/user/victim' })
    expect(await failAfter(5_000, () => victim.ask({ type: 'echo', text: 'still here' }))).toBe('still here')
  })

  it('still stops an actor of another node that is not untrusted, by its ref or its portal', async () => {
    const { guarded, other } = await untrustedPair()
    other.spawn(Echo, { name: 'plain' })
    other.spawn(Echo, { name: 'portal' })
    await failAfter(5_000, () => guarded.stop(guarded.refOf(`troupe://${other.node}/user/plain`)))
    expect(other.actorAt('/user/plain')).toBeUndefined()
    const portal = portalOf(guarded, guarded.refOf(`troupe://${other.node}/user/portal`))
    await failAfter(5_000, () => guarded.stop(portal))
    expect(other.actorAt('/user/portal')).toBeUndefined()
  })

  it('refuses a remote spawn with UntrustedRequestError, which names the node, the request and the option', async () => {
    const { guarded, other } = await untrustedPair()
    const spawned = other.spawn(Echo, { on: guarded.node })
    const error = await failAfter(5_000, () => spawned.ask({ type: 'echo', text: '?' })).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(UntrustedRequestError)
    const message = (error as Error).message
    expect(message).toContain(guarded.node)
    expect(message).toContain("'spawn'")
    expect(message).toContain('untrusted')
  })

  it('runs only the functions on its allow list for another node', async () => {
    const { guarded, other } = await untrustedPair()
    const host = portalOf(other, other.refOf(`troupe://${guarded.node}/user/host`))
    expect((await failAfter(5_000, () => host.run(lines.hi))).actor).toContain('/user/host')
    const error = await failAfter(5_000, () => host.run(lines.divide, [6, 3])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UntrustedRequestError)
    expect((error as Error).message).toContain("'call' of 'divide'")
    expect((error as Error).message).toContain('untrusted.allow')
  })

  it('takes no link from another node: the actor there is unlinked, and the one here lives on', async () => {
    const { guarded, other, victim } = await untrustedPair()
    const refused = nextRefusal(guarded, 'link')
    const linker = other.spawn(linkerTo(() => victim))
    await failAfter(5_000, () => linker.ask('link'))
    await refused()
    await failAfter(5_000, () => other.stop(linker))
    expect(await failAfter(5_000, () => victim.ask({ type: 'echo', text: 'alive' }))).toBe('alive')
  })

  it('lets no exit from another node fail an actor of its own that linked out', async () => {
    const { guarded, other } = await untrustedPair()
    const there = other.spawn(
      linkerTo(() => {
        throw new Error('links to nothing')
      }),
      { name: 'there' },
    )
    const thereFromHere = guarded.refOf(`troupe://${other.node}/user/there`)
    const here = guarded.spawn(
      linkerTo(() => thereFromHere),
      { name: 'here' },
    )
    await failAfter(5_000, () => here.ask('link'))
    // The link reached the other node: its actor's failure sends an exit here.
    expect(await failAfter(5_000, () => there.ask('ping'))).toBe('pong')
    const refused = nextRefusal(guarded, 'exit')
    there.tell('fail')
    await refused()
    expect(await failAfter(5_000, () => here.ask('ping'))).toBe('pong')
  })

  it('still takes every request from its parent node', async () => {
    const { guarded, other, victim } = await untrustedPair()
    const { remoteNodeOf } = await import('../../../src/remote/node/remote-node-of.ts')
    remoteNodeOf(guarded)!.trust.parent = other.node
    const stopped = other.watch(victim)
    void other.stop(victim)
    expect((await failAfter(5_000, () => stopped)).reason).toBe('stopped')
    const spawned = other.spawn(Echo, { on: guarded.node })
    expect(await failAfter(5_000, () => spawned.ask({ type: 'echo', text: 'from the parent' }))).toBe(
      'from the parent',
    )
  })
})

describe('an untrusted node, over TCP', () => {
  it('refuses a stop and a spawn of another node, and answers its asks', async () => {
    const cookie = 'untrusted-test-cookie'
    const guarded = await start({
      node: `guarded@127.0.0.1:${await freePort()}`,
      cookie,
      logLevel: 'silent',
      untrusted: true,
    })
    systems.push(guarded)
    const other = await start({ node: `other@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
    systems.push(other)
    for (const system of [guarded, other]) system.expose({ echo: Echo })
    guarded.spawn(Echo, { name: 'victim' })
    const victim = other.refOf<EchoMsg>(`troupe://${guarded.node}/user/victim`)
    const refused = nextRefusal(guarded, 'stop')
    await expect(failAfter(10_000, () => other.stop(victim))).rejects.toThrow(UntrustedRequestError)
    await refused()
    expect(await failAfter(10_000, () => victim.ask({ type: 'echo', text: 'hi' }))).toBe('hi')
    const spawned = other.spawn(Echo, { on: guarded.node })
    await expect(failAfter(10_000, () => spawned.ask({ type: 'echo', text: '?' }))).rejects.toThrow(
      UntrustedRequestError,
    )
  })
})

describe('the child node of an untrusted node', () => {
  it('is untrusted too, and takes a spawn and a stop from its parent', async () => {
    const root = await start({ logLevel: 'silent', untrusted: true })
    systems.push(root)
    root.expose({ Counter })
    const child = await failAfter(20_000, () =>
      startChildNode(root, { in: 'thread', modules: [childActors], graceMs: 1_000 }),
    )
    children.push(child)
    const counter = root.spawn(Counter, { on: child.node })
    expect(await failAfter(10_000, () => counter.ask({ type: 'get' }))).toBe(0)
    const stopped = root.watch(counter)
    await failAfter(10_000, () => root.stop(counter))
    expect((await failAfter(10_000, () => stopped)).reason).toBe('stopped')
  })
})

describe('the child node of an untrusted networked node', () => {
  it('refuses a stop and a spawn of another node of the cluster, which reaches it by name', async () => {
    const root = await start({
      node: `root@127.0.0.1:${await freePort()}`,
      registry: true,
      logLevel: 'silent',
      untrusted: true,
    })
    systems.push(root)
    root.expose({ Counter })
    const child = await failAfter(20_000, () =>
      startChildNode(root, { in: 'thread', modules: [childActors], graceMs: 1_000 }),
    )
    children.push(child)
    const fromRoot = root.spawn(Counter, { on: child.node, name: 'counter' })
    expect(await failAfter(10_000, () => fromRoot.ask({ type: 'get' }))).toBe(0)
    const other = await start({
      node: `other@127.0.0.1:${await freePort()}`,
      registry: root.node,
      logLevel: 'silent',
    })
    systems.push(other)
    other.expose({ Counter })
    const counter = await failAfter(15_000, () => other.waitForActor('counter', { timeout: 10_000 }))
    expect(counter.address).toBe(`troupe://${child.node}/user/counter`)
    const error = await failAfter(10_000, () => other.stop(counter)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UntrustedRequestError)
    expect(error).toMatchObject({ node: child.node, from: other.node, request: 'stop' })
    const spawned = other.spawn(Counter, { on: child.node })
    await expect(failAfter(10_000, () => spawned.ask({ type: 'get' }))).rejects.toThrow(UntrustedRequestError)
    // Asks still pass, and the counter the other node could not stop is still there.
    expect(await failAfter(10_000, () => counter.ask({ type: 'get' }))).toBe(0)
    expect(await failAfter(10_000, () => fromRoot.ask({ type: 'get' }))).toBe(0)
  })
})
