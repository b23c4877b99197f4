import { type ActorSystem, defineActor, type Ref } from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { within } from '../../integration/transport/support.ts'
import { startInProcessNode } from '../../support/in-process-node.ts'

const Echo = defineActor<{ n: number }>({
  receive(_state, message, ctx) {
    ctx.reply({ from: ctx.self.address, n: message.n })
  },
})

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.shutdown()))
})

describe('two nodes that connect to each other at once', () => {
  it('lose no ask sent on either connection, and keep one connection', async () => {
    const network = new InProcessNetwork()
    const a = await startInProcessNode(network, 'a')
    const b = await startInProcessNode(network, 'b')
    systems.push(a, b)
    a.spawn(Echo, { name: 'echo' })
    b.spawn(Echo, { name: 'echo' })
    const onB = a.refOf<{ n: number }>(`troupe://${b.node}/user/echo`)
    const onA = b.refOf<{ n: number }>(`troupe://${a.node}/user/echo`)
    // Both nodes open a connection in the same turn: each has asks in flight on its own.
    const asks: Promise<unknown>[] = []
    for (let n = 0; n < 50; n++) {
      asks.push(onB.ask({ n }, { timeout: 2_000 }), onA.ask({ n }, { timeout: 2_000 }))
    }
    const answers = await Promise.all(asks)
    expect(answers).toHaveLength(100)
    expect(answers.filter((x) => (x as { from: string }).from.includes(b.node))).toHaveLength(50)

    // The connection both kept still works after the other one was retired.
    const watched = b.spawn(Echo)
    const ref = a.refOf<{ n: number }>(watched.address) as Ref<{ n: number }>
    await expect(ref.ask({ n: 1 }, { timeout: 2_000 })).resolves.toEqual({ from: watched.address, n: 1 })
    // The connection opened by the greater name is retired by it after a heartbeat interval.
    const connections = network.connectionsOf(a.node)
    expect(connections.length).toBe(2)
    await within(Promise.race(connections.map((c) => c.closed())), 2_000, 'the retired connection to close')
    expect(connections.filter((c) => c.open)).toHaveLength(1)
    await expect(ref.ask({ n: 2 }, { timeout: 2_000 })).resolves.toEqual({ from: watched.address, n: 2 })
  })
})
