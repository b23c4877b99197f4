import { type ActorSystem, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { natsServerVersion, startNatsServer } from '../../support/nats-server.ts'
import { startProcess } from '../../support/node-process.ts'
import { type Opened, openGateway, problemOf } from './support.ts'

const cookie = 'gateway-cluster-cookie'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  // Last started, first stopped: the gateway before its system, the system before the server.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

/** A second node in its own process, running a Counter (starting at 10) named `remote`. */
async function secondNode(where: string) {
  const node = `second@127.0.0.1:${await freePort()}`
  const proc = startProcess(['test/fixtures/gateway-node.ts', node, where, cookie, 'remote'])
  cleanups.push(() => proc.kill())
  await proc.waitFor('ready')
  return { node, proc }
}

async function gatewayOn(system: ActorSystem): Promise<Opened> {
  cleanups.push(() => system.shutdown())
  const opened = await openGateway({}, system)
  cleanups.push(() => opened.close())
  return opened
}

/** Reaches the counter of the other process by name: ask, snapshot, kill (seen there as 'killed'). */
async function reachByName(opened: Opened, second: Awaited<ReturnType<typeof secondNode>>) {
  const { call, system } = opened
  await system.waitForActor('remote', { timeout: 10_000 })

  expect((await call('/actors/remote', { method: 'POST', body: { type: 'add', n: 5 } })).status).toBe(202)
  const ask = await call('/actors/remote?ask=1', { method: 'POST', body: { type: 'get' } })
  expect(ask.status).toBe(200)
  expect(await ask.json()).toBe(15)

  const snapshot = await call('/actors/remote')
  expect(await snapshot.json()).toMatchObject({ name: 'remote', snapshot: { count: 15 } })

  const boom = await call('/actors/remote?ask=1', { method: 'POST', body: { type: 'boom' } })
  expect(boom.status).toBe(500)
  expect((await problemOf(boom)).detail).toContain('counter exploded on purpose')

  const list = (await (await call('/actors')).json()) as { actors: { name: string; node: string }[] }
  expect(list.actors).toContainEqual(expect.objectContaining({ name: 'remote', node: second.node }))
  const nodes = (await (await call('/nodes')).json()) as { nodes: { node: string }[] }
  expect(nodes.nodes.map((n) => n.node)).toContain(second.node)

  const portal = await system.waitForActor('remote', { timeout: 5_000 })
  const watched = system.watch(portal)
  // An ask answered after the watch was sent: the other node has it.
  await call('/actors/remote?ask=1', { method: 'POST', body: { type: 'get' } })
  const killed = await call('/actors/remote', { method: 'DELETE' })
  expect(killed.status).toBe(200)
  expect(await killed.json()).toMatchObject({ name: 'remote', reason: 'killed' })
  expect((await watched).reason).toBe('killed')
  await second.proc.waitFor('stopped /user/remote killed', 5_000)
}

describe('the gateway reaches actors of other nodes by name', () => {
  it('over TCP, through the cluster registry: ask, snapshot, kill', async () => {
    const port = await freePort()
    const system = await start({
      node: `gateway@127.0.0.1:${port}`,
      registry: true,
      cookie,
      logLevel: 'silent',
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 600,
    })
    const opened = await gatewayOn(system)
    const second = await secondNode(`127.0.0.1:${port}`)
    await reachByName(opened, second)
  })

  it.skipIf(natsServerVersion() === undefined)(
    'over NATS: ask, snapshot, kill',
    async () => {
      const server = await startNatsServer()
      cleanups.push(() => server.stop())
      const system = await start({
        node: 'gateway',
        cookie,
        logLevel: 'silent',
        nats: { servers: [server.url], prefix: 'gateway' },
      })
      const opened = await gatewayOn(system)
      const second = await secondNode(server.url)
      await reachByName(opened, second)
    },
    30_000,
  )
})
