import { connect } from '@nats-io/transport-node'
import { type ActorSystem, defineActor, type InspectionEvent, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { joinNatsCluster, type NatsClusterMembership } from '../../../src/registry/nats/index.ts'
import { remoteNodeOf } from '../../../src/remote/node/remote-node-of.ts'
import { type NatsServer, natsServerVersion, startNatsServer } from '../../support/nats-server.ts'

const cookie = 'nats-names-test-cookie'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  // Last made, first stopped: a membership leaves before its connection closes.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

const Counter = defineActor<{ type: 'get' }, number>({
  init: () => 0,
  receive(n, _msg, ctx) {
    ctx.reply(n)
    return n
  },
})

async function server(): Promise<NatsServer> {
  const nats = await startNatsServer()
  cleanups.push(() => nats.stop())
  return nats
}

/** A node over TCP with its own NATS connection, a member of the cluster `prefix`. */
async function member(
  name: string,
  url: string,
  prefix = 'names',
): Promise<{ system: ActorSystem; membership: NatsClusterMembership; logs: string[] }> {
  const logs: string[] = []
  const system = await start({
    node: `${name}@127.0.0.1:${await freePort()}`,
    cookie,
    logLevel: process.env.TEST_LOG === undefined ? 'silent' : 'info',
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 600,
  })
  cleanups.push(() => system.shutdown())
  for (const level of ['warn', 'error'] as const) {
    const log = system.logger[level].bind(system.logger)
    system.logger[level] = ((...args: unknown[]) => {
      logs.push(args.map((a) => (typeof a === 'string' ? a : '')).join(' '))
      return (log as (...a: unknown[]) => void)(...args)
    }) as typeof system.logger.warn
  }
  const client = await connect({ servers: url, reconnectTimeWait: 100, maxReconnectAttempts: -1 })
  cleanups.push(() => client.close())
  const membership = await joinNatsCluster(system, {
    client,
    prefix,
    incarnation: remoteNodeOf(system)!.incarnation,
    heartbeatIntervalMs: 100,
    memberTimeoutMs: 500,
  })
  cleanups.push(() => membership.close())
  return { system, membership, logs }
}

/** Resolves once `check` holds, polled on the event loop; fails at the deadline with `what`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe.skipIf(natsServerVersion() === undefined)('names in a NATS cluster', () => {
  it('finds and waits for a name claimed on another node, and forgets it when its actor stops', async () => {
    const nats = await server()
    const a = await member('a', nats.url)
    const b = await member('b', nats.url)
    const waiting = b.system.waitForActor<{ type: 'get' }>('counter', { timeout: 5000 })
    const counter = a.system.spawn(Counter, { name: 'counter' })
    const found = await waiting
    expect(found.address).toBe(counter.address)
    expect(await found.ask({ type: 'get' })).toBe(0)
    expect((await b.system.findActor('counter'))?.address).toBe(counter.address)
    await a.system.stop(counter)
    await until('the name gone from b', async () => (await b.system.findActor('counter')) === undefined)
  })

  it('gives a name raced for by two nodes to exactly one; the other is refused, with the reason', async () => {
    const nats = await server()
    const a = await member('a', nats.url)
    const b = await member('b', nats.url)
    const refA = a.system.spawn(Counter, { name: 'only' })
    const refB = b.system.spawn(Counter, { name: 'only' })
    await until('one refusal', () => a.logs.length + b.logs.length > 0)
    const [winner, loser] = a.logs.length === 0 ? [refA, b] : [refB, a]
    expect(loser.logs.join('\n')).toMatch(
      /refused the name 'only' to .*: .* holds it, and findActor\('only'\) finds/,
    )
    for (const node of [a, b]) {
      await until('both agree', async () => (await node.system.findActor('only'))?.address === winner.address)
    }
  })

  it('lists the members and emits member-up and member-down as nodes join and leave', async () => {
    const nats = await server()
    const a = await member('a', nats.url)
    const events: InspectionEvent[] = []
    a.system.inspect((event) => {
      if ((event.type === 'member-up' || event.type === 'member-down') && event.node !== a.system.node)
        events.push(event)
    })
    const b = await member('b', nats.url)
    await until('b listed', () => a.system.members().length === 2)
    expect(a.system.members().map((m) => m.node)).toEqual([a.system.node, b.system.node])
    expect(a.system.members()[1]?.incarnation).toBe(remoteNodeOf(b.system)!.incarnation)
    expect(a.membership.watching()).toEqual([b.system.node])
    await b.membership.close()
    await until('b gone', () => a.system.members().length === 1)
    expect(events.map((e) => `${e.type} ${'node' in e ? e.node : ''}`)).toEqual([
      `member-up ${b.system.node}`,
      `member-down ${b.system.node}`,
    ])
  })

  it('lists a node in no cluster alone', async () => {
    const system = await start({ logLevel: 'silent' })
    cleanups.push(() => system.shutdown())
    expect(system.members()).toEqual([{ node: system.node, incarnation: undefined, since: expect.any(Date) }])
  })

  it('refuses a bad prefix with a clear error', async () => {
    const nats = await server()
    const client = await connect({ servers: nats.url })
    cleanups.push(() => client.close())
    const system = await start({ node: `x@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
    cleanups.push(() => system.shutdown())
    await expect(joinNatsCluster(system, { client, prefix: 'a.b', incarnation: 'i' })).rejects.toThrow(
      /prefix.*letters, digits, _ or -, got "a.b"/,
    )
  })

  it('resumes within 5 s after the server restarts with its state lost', async () => {
    const nats = await server()
    const a = await member('a', nats.url)
    const b = await member('b', nats.url)
    const counter = a.system.spawn(Counter, { name: 'kept' })
    await until('b finds it', async () => (await b.system.findActor('kept'))?.address === counter.address)
    const port = nats.port
    await nats.stop()
    const again = await startNatsServer({ port })
    cleanups.push(() => again.stop())
    const t0 = performance.now()
    // The watches and the claims come back: a name claimed after the restart is seen too.
    await until(
      'members back',
      () => a.system.members().length === 2 && b.system.members().length === 2,
      5000,
    )
    const later = a.system.spawn(Counter, { name: 'later' })
    await until(
      'b finds the new name',
      async () => (await b.system.findActor('later'))?.address === later.address,
      5000,
    )
    expect((await b.system.findActor('kept'))?.address).toBe(counter.address)
    expect(performance.now() - t0).toBeLessThan(5000)
  })
})
