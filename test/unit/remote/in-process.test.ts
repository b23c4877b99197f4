import { type ActorSystem, defineActor, NodeDownError, type Ref, type Terminated } from 'troupe'
import { createTestProbe, InProcessNetwork, nextEvent } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { startInProcessNode } from '../../support/in-process-node.ts'

type CounterMsg =
  | { type: 'inc'; by: number }
  | { type: 'get' }
  | { type: 'crash' }
  | { type: 'echo-ref'; ref: Ref }

const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  receive(n, msg, ctx) {
    switch (msg.type) {
      case 'inc':
        return n + msg.by
      case 'get':
        ctx.reply(n)
        return n
      case 'crash':
        throw new RangeError('counter crashed')
      case 'echo-ref':
        msg.ref.tell({ from: ctx.self, n })
        return n
    }
  },
})

const systems: ActorSystem[] = []

async function node(
  network: InProcessNetwork,
  name: string,
  options: { stopOnFailure?: boolean } = {},
): Promise<ActorSystem> {
  const system = await startInProcessNode(
    network,
    name,
    options.stopOnFailure ? { supervision: { decide: () => 'stop' } } : {},
  )
  system.expose({ counter: Counter })
  systems.push(system)
  return system
}

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

describe('nodes in one process', () => {
  // What every transport keeps (tell, ask, watch, link, spawn, portals) is in
  // test/integration/remote/transports.test.ts; what only this network can do (cut a node off,
  // freeze it) stays here.
  it('node down delivers node-down to watchers and fails asks', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const c2 = a.spawn(Counter, { on: b.node })
    expect(await c2.ask({ type: 'get' })).toBe(0)
    const probe = createTestProbe<Terminated>(a)
    const watched = probe.expectTerminated(c2)
    net.partition(b.node)
    expect((await watched).reason).toBe('node-down')
    await expect(c2.ask({ type: 'get' })).rejects.toBeInstanceOf(NodeDownError)
  })

  it('a silent node is declared down by the heartbeat within the timeout', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const c = a.spawn(Counter, { on: b.node })
    expect(await c.ask({ type: 'get' })).toBe(0)
    const down = a.watch(c)
    const pending = c.ask({ type: 'get' }, { timeout: 5000 })
    const t0 = performance.now()
    net.freeze(b.node)
    expect((await down).reason).toBe('node-down')
    await expect(pending).rejects.toBeInstanceOf(NodeDownError)
    // heartbeatTimeoutMs is 200 and the interval 20: down within about 220 ms
    expect(performance.now() - t0).toBeLessThan(1000)
  })

  it('a node that restarts under the same name is never taken for the old one', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b1 = await node(net, 'b')
    const old = a.spawn(Counter, { on: b1.node, name: 'same' })
    expect(await old.ask({ type: 'get' })).toBe(0)
    const down = a.watch(old)
    net.partition(b1.node)
    expect((await down).reason).toBe('node-down')
    await b1.shutdown()
    net.heal(b1.node)
    const b2 = await node(net, 'b')
    b2.spawn(Counter, { name: 'same' })
    // the old ref names the old incarnation: its messages are dead letters, not the new actor's
    const fresh = a.spawn(Counter, { on: b2.node, name: 'other' })
    expect(await fresh.ask({ type: 'get' })).toBe(0)
    const dead = nextEvent(a, 'dead-letter')
    old.tell({ type: 'inc', by: 1 })
    expect((await dead).to.equals(old)).toBe(true)
    expect(await b2.actorAt('/user/same')?.ask({ type: 'get' })).toBe(0)
  })
})
