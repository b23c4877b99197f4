import { type ActorSystem, defineActor, failAfter } from 'troupe'
import { freePort, nextEvent } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { tcpTestNodes } from '../../support/tcp-test-nodes.ts'
import { type Opened, openGateway } from './support.ts'

// The gateway of a node over TCP sees the nodes connected to it: `GET /nodes` lists them, and the
// dashboard's API reads their actors (`system.observe`), their state, and kills them.

const cookie = 'gateway-nodes-cookie'
const nodes = tcpTestNodes(cookie)
const tcpNode = nodes.node
afterEach(() => nodes.stopAll())

const Counter = defineActor<'tick', number>({
  init: () => 0,
  receive: (n) => n + 1,
  snapshot: (n) => ({ ticks: n }),
})

/** A gateway on a TCP node, and a peer that connected to it (by observing it). */
async function gatewayWithPeer(options: { untrusted?: boolean } = {}): Promise<{
  opened: Opened
  peer: ActorSystem
}> {
  const system = await tcpNode('gateway')
  const opened = await openGateway({}, system)
  nodes.onStop(() => opened.close())
  const peer = await tcpNode('peer', options)
  peer.spawn(Counter, { name: 'counter' })
  await failAfter(5_000, () => peer.observe(system.node))
  return { opened, peer }
}

const children = (node: string, query = '') =>
  `/dashboard/api/nodes/${encodeURIComponent(node)}/children${query}`

describe('the gateway of a node over TCP', () => {
  it('lists the connected peer in GET /nodes, and the dashboard API pages its actors with their counters', async () => {
    const { opened, peer } = await gatewayWithPeer()
    const { call, system } = opened
    const nodes = (await (await call('/nodes')).json()) as {
      nodes: { node: string; self: boolean; incarnation?: string }[]
    }
    expect(nodes.nodes).toEqual([
      expect.objectContaining({ node: system.node, self: true, incarnation: expect.any(String) }),
      expect.objectContaining({ node: peer.node, self: false, incarnation: expect.any(String) }),
    ])

    const counter = peer.actorAt('/user/counter')!
    for (let i = 0; i < 4; i++) counter.tell('tick')
    expect(await failAfter(5_000, () => peer.snapshot(counter))).toEqual({ ticks: 4 })
    const response = await call(children(peer.node, '?parent=/user&limit=10'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-security-policy')).toBe("default-src 'self'")
    expect(await response.json()).toEqual({
      node: peer.node,
      parent: '/user',
      total: 1,
      offset: 0,
      actors: [{ path: '/user/counter', name: 'counter', childCount: 0, queued: 0, handled: 5, restarts: 0 }],
    })
    // The gateway's own node answers the same route, read locally.
    const own = await call(children(system.node))
    expect(((await own.json()) as { node: string }).node).toBe(system.node)

    const actor = await call(`/dashboard/api/nodes/${encodeURIComponent(peer.node)}/actor?path=/user/counter`)
    expect(await actor.json()).toEqual({
      node: peer.node,
      path: '/user/counter',
      address: `troupe://${peer.node}/user/counter`,
      state: { snapshot: { ticks: 4 } },
    })
    const ended = peer.watch(counter)
    const kill = await call(`/dashboard/api/nodes/${encodeURIComponent(peer.node)}/actor/kill`, {
      method: 'POST',
      body: { path: '/user/counter' },
    })
    expect(kill.status).toBe(200)
    expect((await failAfter(5_000, () => ended)).reason).toBe('killed')
  })

  it('answers 401 without a token, 403 from a foreign Origin, 400 for a bad page, 404 for no such actor or node', async () => {
    const { opened, peer } = await gatewayWithPeer()
    const { call, gateway } = opened
    const bare = await fetch(`${gateway.url}${children(peer.node)}`)
    expect(bare.status).toBe(401)
    const kill = await fetch(
      `${gateway.url}/dashboard/api/nodes/${encodeURIComponent(peer.node)}/actor/kill`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: '/user/counter' }),
      },
    )
    expect(kill.status).toBe(401)
    // With the token but from a foreign page: refused as every other POST of the gateway is.
    const foreign = await call(`/dashboard/api/nodes/${encodeURIComponent(peer.node)}/actor/kill`, {
      method: 'POST',
      body: { path: '/user/counter' },
      headers: { origin: 'http://evil.example' },
    })
    expect(foreign.status).toBe(403)
    expect(peer.actorAt('/user/counter')).toBeDefined()

    expect((await call(children(peer.node, '?limit=0'))).status).toBe(400)
    expect((await call(children(peer.node, '?limit=100000'))).status).toBe(400)
    expect((await call(children(peer.node, '?parent=/user/none'))).status).toBe(404)
    // A node that is no member is not reached for: the routes connect to no node a request names.
    const nowhere = `nowhere@127.0.0.1:${await freePort()}`
    const unknown = await call(children(nowhere))
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: string }).error).toContain(`${nowhere} is no member`)
    expect(opened.system.members().map((m) => m.node)).not.toContain(nowhere)
  })

  it('answers 403 for the actors of an untrusted peer, and drops a peer that stops from GET /nodes', async () => {
    const { opened, peer } = await gatewayWithPeer({ untrusted: true })
    const { call, system } = opened
    const refused = await call(children(peer.node))
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: string }).error).toContain('untrusted')
    const down = nextEvent(system, 'member-down', (event) => event.node === peer.node, { timeout: 5_000 })
    await peer.shutdown()
    await down
    const nodes = (await (await call('/nodes')).json()) as { nodes: { node: string }[] }
    expect(nodes.nodes.map((n) => n.node)).toEqual([system.node])
  })
})
