import {
  type ActorSystem,
  defineActor,
  failAfter,
  InvalidOptionError,
  MAX_OBSERVE_LIMIT,
  NodeDownError,
  start,
  startChildNode,
  UntrustedRequestError,
} from 'troupe'
import { freePort, nextEvent } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { Counter } from '../../fixtures/child-actors.ts'
import type { CounterMsg } from '../../fixtures/remote-node.ts'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'
import { tcpTestNodes } from '../../support/tcp-test-nodes.ts'

// Over TCP, the members of a node are the nodes it is connected to (Erlang's `nodes()`), and
// `system.observe` reads a page of any member's actors with their counters.

const cookie = 'members-test-cookie'
const childActors = new URL('../../fixtures/child-actors.ts', import.meta.url).href

const nodes = tcpTestNodes(cookie)
const tcpNode = nodes.node
afterEach(() => nodes.stopAll())

async function processNode(): Promise<{ node: string; proc: NodeProcess }> {
  const node = `b@127.0.0.1:${await freePort()}`
  const proc = startProcess(['test/fixtures/remote-node.ts', node, cookie])
  nodes.onStop(() => proc.kill())
  await proc.waitFor('ready')
  return { node, proc }
}

const Leaf = defineActor<'ping', number>({
  init: () => 0,
  receive: (n, _msg, ctx) => {
    ctx.reply(n + 1)
    return n + 1
  },
})

/** A parent with `n` leaves, spawned as it starts. */
const Parent = defineActor<'ping', number, number>({
  init: (n) => n,
  started: (n, ctx) => {
    for (let i = 0; i < n; i++) ctx.spawn(Leaf, { name: `leaf-${i}` })
  },
  receive: (n, _msg, ctx) => {
    ctx.reply(ctx.children().length)
    return n
  },
})

const nodesOf = (system: ActorSystem) => system.members().map((member) => member.node)

describe('the members of nodes over TCP', () => {
  it('are the nodes connected: member-up on both sides when one reaches the other, member-down when it stops', async () => {
    const a = await tcpNode('a')
    const b = await tcpNode('b')
    expect(nodesOf(a)).toEqual([a.node])
    const upOnA = nextEvent(a, 'member-up', (event) => event.node === b.node, { timeout: 5_000 })
    const upOnB = nextEvent(b, 'member-up', (event) => event.node === a.node, { timeout: 5_000 })
    a.spawn(Leaf, { name: 'leaf' })
    const leaf = b.refOf<'ping'>(`troupe://${a.node}/user/leaf`)
    expect(await failAfter(5_000, () => leaf.ask('ping'))).toBe(1)
    const [seenOnA, seenOnB] = await Promise.all([upOnA, upOnB])
    expect(nodesOf(a)).toEqual([a.node, b.node])
    expect(nodesOf(b)).toEqual([a.node, b.node])
    const bOnA = a.members().find((member) => member.node === b.node)!
    const bItself = b.members().find((member) => member.node === b.node)!
    expect(bOnA.incarnation).toBe(seenOnA.incarnation)
    expect(bOnA.incarnation).toBe(bItself.incarnation)
    expect(typeof bOnA.incarnation).toBe('string')
    expect(seenOnB.incarnation).toBe(a.members().find((member) => member.node === a.node)!.incarnation)

    const downOnA = nextEvent(a, 'member-down', (event) => event.node === b.node, { timeout: 5_000 })
    await b.shutdown()
    expect(await downOnA).toMatchObject({ node: b.node, incarnation: bOnA.incarnation })
    expect(nodesOf(a)).toEqual([a.node])
  })

  it('a node killed with SIGKILL is a member-down at once', async () => {
    const { node, proc } = await processNode()
    const a = await tcpNode('a')
    const up = nextEvent(a, 'member-up', (event) => event.node === node, { timeout: 5_000 })
    const other = a.refOf<CounterMsg>(`troupe://${node}/user/other`)
    expect(await failAfter(5_000, () => other.ask({ type: 'get' }))).toBe(0)
    await up
    expect(nodesOf(a)).toEqual([a.node, node])
    const down = nextEvent(a, 'member-down', (event) => event.node === node, { timeout: 5_000 })
    proc.child.kill('SIGKILL')
    expect((await down).reason).toBeTruthy()
    expect(nodesOf(a)).toEqual([a.node])
  })
})

describe('the members of a root and its child node', () => {
  it("list the child while it runs, and observe reads the child's actors", async () => {
    const root = await start({ logLevel: 'silent' })
    nodes.onStop(() => root.shutdown())
    root.expose({ Counter })
    const up = nextEvent(root, 'member-up', () => true, { timeout: 20_000 })
    const child = await failAfter(20_000, () =>
      startChildNode(root, { in: 'thread', modules: [childActors], graceMs: 1_000 }),
    )
    nodes.onStop(() => child.stop())
    expect((await up).node).toBe(child.node)
    expect(nodesOf(root)).toEqual([child.node, root.node].sort())
    const counter = root.spawn(Counter, { on: child.node, name: 'counter' })
    expect(await failAfter(10_000, () => counter.ask({ type: 'get' }))).toBe(0)
    const page = await failAfter(5_000, () => root.observe(child.node))
    expect(page.actors.map((actor) => actor.path)).toContain('/user/counter')
    const down = nextEvent(root, 'member-down', (event) => event.node === child.node, { timeout: 10_000 })
    await failAfter(10_000, () => child.stop())
    await down
    expect(nodesOf(root)).toEqual([root.node])
  })
})

describe('system.observe', () => {
  it("reads a page of another node's actors with their counters, over TCP to another process", async () => {
    const { node } = await processNode()
    const a = await tcpNode('a')
    const other = a.refOf<CounterMsg>(`troupe://${node}/user/other`)
    for (let i = 0; i < 5; i++) other.tell({ type: 'inc', by: 1 })
    expect(await failAfter(5_000, () => other.ask({ type: 'get' }))).toBe(5)
    const page = await failAfter(5_000, () => a.observe(node))
    expect(page).toMatchObject({ node, parent: '/user', total: 1, offset: 0 })
    expect(page.actors).toEqual([
      { path: '/user/other', name: 'other', childCount: 0, queued: 0, handled: 6, restarts: 0 },
    ])
    other.tell({ type: 'crash' })
    await failAfter(5_000, async () => {
      while ((await a.observe(node)).actors[0]?.restarts !== 1) await other.ask({ type: 'get' })
    })
  })

  it('pages the children of a parent, and reads this node locally', async () => {
    const a = await tcpNode('a')
    const b = await tcpNode('b')
    const parent = b.spawn(Parent, { name: 'parent', props: 7 })
    expect(await failAfter(5_000, () => parent.ask('ping'))).toBe(7)
    const top = await failAfter(5_000, () => a.observe(b.node))
    expect(top.actors).toEqual([
      expect.objectContaining({ path: '/user/parent', name: 'parent', childCount: 7, handled: 1 }),
    ])
    const page = await failAfter(5_000, () =>
      a.observe(b.node, { parent: '/user/parent', offset: 2, limit: 3 }),
    )
    expect(page).toMatchObject({ node: b.node, parent: '/user/parent', total: 7, offset: 2 })
    expect(page.actors.map((actor) => actor.name)).toEqual(['leaf-2', 'leaf-3', 'leaf-4'])
    expect(await b.observe(b.node, { parent: '/user/parent', offset: 2, limit: 3 })).toEqual(page)
  })

  it('caps the limit at MAX_OBSERVE_LIMIT and refuses a bad one', async () => {
    const a = await tcpNode('a')
    const parent = a.spawn(Parent, { name: 'wide', props: MAX_OBSERVE_LIMIT + 20 })
    expect(await failAfter(5_000, () => parent.ask('ping'))).toBe(MAX_OBSERVE_LIMIT + 20)
    const page = await a.observe(a.node, { parent: '/user/wide', limit: 10_000 })
    expect(page.total).toBe(MAX_OBSERVE_LIMIT + 20)
    expect(page.actors).toHaveLength(MAX_OBSERVE_LIMIT)
    for (const limit of [0, -1, 1.5, Number.NaN])
      await expect(a.observe(a.node, { limit })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(a.observe(a.node, { offset: -1 })).rejects.toBeInstanceOf(InvalidOptionError)
    await expect(a.observe(a.node, { parent: 'user' })).rejects.toBeInstanceOf(InvalidOptionError)
  })

  it('rejects with a clear error for a node out of reach, a node with no address, and a parent that is not there', async () => {
    const a = await tcpNode('a')
    const b = await tcpNode('b')
    const nowhere = `nowhere@127.0.0.1:${await freePort()}`
    const unreachable = await failAfter(5_000, () => a.observe(nowhere)).catch((e: unknown) => e)
    expect(unreachable).toBeInstanceOf(NodeDownError)
    expect(String(unreachable)).toContain(nowhere)
    const unnamed = await failAfter(5_000, () => a.observe('ghost')).catch((e: unknown) => e)
    expect(unnamed).toBeInstanceOf(NodeDownError)
    expect(String(unnamed)).toContain('names no host and port')
    const missing = await failAfter(5_000, () => a.observe(b.node, { parent: '/user/none' })).catch(
      (e: unknown) => e,
    )
    expect(String(missing)).toContain(`troupe://${b.node}/user/none`)
    expect(String(missing)).toContain('stopped')
  })

  it('is refused by an untrusted node, which says so', async () => {
    const a = await tcpNode('a')
    const guarded = await tcpNode('guarded', { untrusted: true })
    guarded.spawn(Leaf, { name: 'leaf' })
    const refused = nextEvent(guarded, 'refused', (event) => event.request === 'observe', { timeout: 5_000 })
    const error = await failAfter(5_000, () => a.observe(guarded.node)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UntrustedRequestError)
    expect(error).toMatchObject({ node: guarded.node, from: a.node, request: 'observe' })
    expect(await refused).toMatchObject({ from: a.node, subject: '/user' })
    // The untrusted node may still observe the others (trust is about what it takes).
    expect((await failAfter(5_000, () => guarded.observe(a.node))).node).toBe(a.node)
  })

  it('rejects for another node when this one is not networked', async () => {
    const local = await start({ logLevel: 'silent' })
    nodes.onStop(() => local.shutdown())
    expect((await local.observe(local.node)).actors).toEqual([])
    await expect(local.observe('b@127.0.0.1:1')).rejects.toThrow('not networked')
  })
})
