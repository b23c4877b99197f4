import {
  type ActorSystem,
  defineActor,
  failAfter,
  type InspectionEvent,
  InvalidOptionError,
  NodeDownError,
  RegistryUnavailableError,
  ServiceUnavailableError,
  start,
} from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { natsServerVersion, startNatsCluster, startNatsServer } from '../../support/nats-server.ts'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'

// Nodes started on NATS as users start them: start({ nats }) alone makes each a member of the
// cluster, with names found from any node, members, failure detection and services.

const cookie = 'nats-cluster-test-cookie'
const logLevel = process.env.TEST_LOG === undefined ? 'silent' : 'info'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

type CounterMsg = { type: 'inc' } | { type: 'get' }
const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  receive(n, msg, ctx) {
    if (msg.type === 'get') ctx.reply(n)
    return msg.type === 'inc' ? n + 1 : n
  },
})

async function node(name: string | undefined, servers: readonly string[], prefix: string) {
  const system = await start({
    ...(name === undefined ? {} : { node: name }),
    cookie,
    logLevel,
    nats: { servers, prefix },
  })
  cleanups.push(() => system.shutdown())
  const events: InspectionEvent[] = []
  system.inspect((event) => {
    if (event.type === 'member-up' || event.type === 'member-down') events.push(event)
  })
  return { system, events }
}

/** Polls `check` until it holds, failing after `ms`; each poll yields to the event loop. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  await failAfter(ms, async () => {
    while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5))
  }).catch((error: unknown) => {
    throw new Error(`${what}: not within ${ms} ms`, { cause: error })
  })
}

const addressOf = async (system: ActorSystem, name: string) => (await system.findActor(name))?.address
const membersOf = (system: ActorSystem) => system.members().map((member) => member.node)

describe.skipIf(natsServerVersion() === undefined)('nodes started on NATS', () => {
  it('three nodes on a 3-server cluster: names, services and members from any node', async () => {
    const cluster = await startNatsCluster(3)
    cleanups.push(() => cluster.stop())
    const [s1, s2, s3] = cluster.urls as [string, string, string]
    const a = await node('a', [s1, s2, s3], 'three')
    const b = await node('b', [s2, s3, s1], 'three')
    const c = await node(undefined, [s3, s1, s2], 'three')
    expect(c.system.node).toMatch(/^node-[0-9a-f]{12}$/)

    const counter = a.system.spawn(Counter, { name: 'counter' })
    for (const { system } of [b, c]) {
      const found = await system.waitForActor<CounterMsg>('counter', { timeout: 5000 })
      expect(found.address).toBe(counter.address)
      found.tell({ type: 'inc' })
      // What one node sends one actor arrives in order: the ask is answered after the tell.
      expect(await found.ask({ type: 'get' })).toBeGreaterThanOrEqual(1)
    }
    expect(await counter.ask({ type: 'get' })).toBe(2)

    await b.system.service('upper', (text: string) => text.toUpperCase())
    expect(await a.system.request('upper', 'from a')).toBe('FROM A')
    expect(await c.system.request('upper', 'from c')).toBe('FROM C')
    await expect(a.system.request('nobody-serves-this')).rejects.toBeInstanceOf(ServiceUnavailableError)

    const all = [a.system.node, b.system.node, c.system.node].sort()
    for (const { system } of [a, b, c]) await until('all members', () => membersOf(system).length === 3)
    for (const { system } of [a, b, c]) expect(membersOf(system)).toEqual(all)
  }, 30_000)

  it("a clean shutdown: watchers get the actors' own ends, then the member leaves", async () => {
    const server = await startNatsServer()
    cleanups.push(() => server.stop())
    const a = await node('a', [server.url], 'leave')
    const b = await node('b', [server.url], 'leave')
    a.system.spawn(Counter, { name: 'counter' })
    const ref = await b.system.waitForActor<CounterMsg>('counter', { timeout: 5000 })
    const terminated = b.system.watch(ref)
    // Messages from one node to one actor arrive in order: once this is answered, the watch is set.
    await ref.ask({ type: 'get' })
    await a.system.shutdown()
    expect((await terminated).reason).toBe('stopped')
    await until('a left', () => !membersOf(b.system).includes('a'))
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'member-down', node: 'a' }))
    expect(await b.system.findActor('counter')).toBeUndefined()
  })

  it('SIGKILL of a node: watchers get node-down, its names and member go, asks to it fail fast', async () => {
    const server = await startNatsServer()
    cleanups.push(() => server.stop())
    const survivor = await node('survivor', [server.url], 'kill')
    const victim: NodeProcess = startProcess([
      'test/fixtures/nats-start-node.ts',
      'victim',
      server.url,
      'kill',
      cookie,
      'doomed',
    ])
    cleanups.push(() => victim.kill())
    await victim.waitFor('ready')
    const ref = await survivor.system.waitForActor<CounterMsg>('doomed', { timeout: 5000 })
    expect(await survivor.system.request('whoami')).toBe('victim')
    const terminated = survivor.system.watch(ref)
    const killedAt = performance.now()
    victim.child.kill('SIGKILL')
    const ended = await failAfter(3000, () => terminated)
    expect(ended.reason).toBe('node-down')
    await until(
      'the name is gone',
      async () => (await addressOf(survivor.system, 'doomed')) === undefined,
      3000,
    )
    expect(performance.now() - killedAt).toBeLessThan(3000)
    expect(membersOf(survivor.system)).toEqual(['survivor'])
    const began = performance.now()
    await expect(ref.ask({ type: 'get' }, { timeout: 2000 })).rejects.toBeInstanceOf(NodeDownError)
    expect(performance.now() - began).toBeLessThan(500)
    await expect(survivor.system.request('whoami')).rejects.toBeInstanceOf(ServiceUnavailableError)
  }, 30_000)

  it('refuses a registry beside NATS, and a server without JetStream, with clear errors', async () => {
    const server = await startNatsServer({ jetstream: false })
    cleanups.push(() => server.stop())
    await expect(start({ nats: server.url, cookie, logLevel, registry: true })).rejects.toThrow(
      InvalidOptionError,
    )
    const refused = await start({ nats: server.url, cookie, logLevel }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(RegistryUnavailableError)
    expect((refused as Error).message).toMatch(/no JetStream.*-js/)
  })
})
