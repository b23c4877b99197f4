import {
  type ActorSystem,
  defineActor,
  LinkedActorFailedError,
  NodeDownError,
  type Ref,
  type Terminated,
} from 'troupe'
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
  it('spawns on another node and tells and asks there, in order', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const counter = a.spawn(Counter, { on: b.node, name: 'c1' })
    expect(counter.address).toBe('troupe://b@127.0.0.1:1/user/c1')
    for (let i = 1; i <= 100; i++) counter.tell({ type: 'inc', by: i })
    expect(await counter.ask({ type: 'get' })).toBe(5050)
    expect(b.actorAt('/user/c1')).toBeDefined()
  })

  it('refs inside messages are usable at once, both ways', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const probe = createTestProbe<{ from: Ref<CounterMsg>; n: number }>(a)
    const counter = a.spawn(Counter, { on: b.node })
    counter.tell({ type: 'inc', by: 7 })
    counter.tell({ type: 'echo-ref', ref: probe.ref })
    const reply = await probe.expectMessage()
    expect(reply.n).toBe(7)
    expect(reply.from.equals(counter)).toBe(true)
    reply.from.tell({ type: 'inc', by: 1 })
    expect(await reply.from.ask({ type: 'get' })).toBe(8)
  })

  it("an ask that fails remotely rejects with the receiver's error, rebuilt", async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const counter = a.spawn(Counter, { on: b.node })
    const error = await counter.ask({ type: 'crash' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RangeError)
    expect((error as Error).message).toBe('counter crashed')
  })

  it('refuses to spawn what the target does not expose', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const Secret = defineActor<string>({ receive: () => undefined })
    expect(() => a.spawn(Secret, { on: b.node })).toThrow(/expose/)
    a.expose({ secret: Secret })
    const ref = a.spawn(Secret, { on: b.node })
    const t = await a.watch(ref)
    expect(t.reason).toBe('failed')
    expect(String(t.error)).toMatch(/does not expose 'secret'/)
  })

  it('watch across nodes delivers Terminated once; node down delivers node-down and fails asks', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const c1 = a.spawn(Counter, { on: b.node })
    expect(await c1.ask({ type: 'get' })).toBe(0)
    const stopped = a.watch(c1)
    await a.stop(c1)
    expect((await stopped).reason).toBe('stopped')

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

  it('links across nodes: a remote failure fails the local linked actor', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b', { stopOnFailure: true })
    const remote = a.spawn(Counter, { on: b.node })
    expect(await remote.ask({ type: 'get' })).toBe(0)
    const Linker = defineActor<'link' | 'ping'>({
      receive: (_s, m, ctx) => {
        if (m === 'link') ctx.link(remote)
        ctx.reply(m)
      },
    })
    const local = a.spawn(Linker)
    await local.ask('link')
    const failed = new Promise<unknown>((resolve) =>
      a.inspect((e) => {
        if (e.type === 'failed' && e.ref.equals(local)) resolve(e.error)
      }),
    )
    remote.tell({ type: 'crash' })
    expect(await failed).toBeInstanceOf(LinkedActorFailedError)
  })
})

describe('spawn options across nodes', () => {
  it('a child cannot be spawned on another node: the error says how to start one there', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a')
    const b = await node(net, 'b')
    const Parent = defineActor<'spawn'>({
      receive: (_s, _m, ctx) => {
        ctx.spawn(Counter, { on: b.node })
      },
    })
    const parent = a.spawn(Parent)
    await expect(parent.ask('spawn')).rejects.toThrow(/system\.spawn\(definition, \{ on \}\)/)
  })
})
