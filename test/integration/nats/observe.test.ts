import { type ActorSystem, defineActor, failAfter, type InspectionEvent, start } from 'troupe'
import { nextEvent } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { natsServerVersion, startNatsServer } from '../../support/nats-server.ts'

// Over NATS the members stay the NATS cluster's (a connection between two nodes adds none and emits
// nothing), and `system.observe` reads another member's actors over the NATS transport.

const cookie = 'nats-observe-test-cookie'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

const Counter = defineActor<'tick' | 'get', number>({
  init: () => 0,
  receive(n, msg, ctx) {
    if (msg === 'get') ctx.reply(n)
    return msg === 'tick' ? n + 1 : n
  },
})

async function natsNode(
  name: string,
  servers: string,
): Promise<{ system: ActorSystem; events: InspectionEvent[] }> {
  const system = await start({
    node: name,
    cookie,
    logLevel: 'silent',
    nats: { servers: [servers], prefix: 'observe' },
  })
  cleanups.push(() => system.shutdown())
  const events: InspectionEvent[] = []
  system.inspect((event) => {
    if (event.type === 'member-up' || event.type === 'member-down') events.push(event)
  })
  return { system, events }
}

describe.skipIf(natsServerVersion() === undefined)('system.observe over NATS', () => {
  it("reads another member's actors, and the members and their events stay the NATS cluster's", async () => {
    const server = await startNatsServer()
    cleanups.push(() => server.stop())
    const a = await natsNode('a', server.url)
    const upOnA = nextEvent(a.system, 'member-up', (event) => event.node === 'b', { timeout: 10_000 })
    const b = await natsNode('b', server.url)
    await upOnA
    const counter = b.system.spawn(Counter, { name: 'counter' })
    for (let i = 0; i < 3; i++) counter.tell('tick')
    expect(await failAfter(5_000, () => counter.ask('get'))).toBe(3)
    const page = await failAfter(5_000, () => a.system.observe('b'))
    // A node over NATS runs actors of its own under /user too: the counter is one of them.
    expect(page).toMatchObject({ node: 'b', parent: '/user', total: b.system.childrenOf().length })
    expect(page.actors).toContainEqual({
      path: '/user/counter',
      name: 'counter',
      childCount: 0,
      queued: 0,
      handled: 4,
      restarts: 0,
    })
    expect(a.system.members().map((m) => m.node)).toEqual(['a', 'b'])
    // One member-up of b on a: the NATS cluster's, none for the connection observe made.
    expect(a.events.filter((event) => event.type === 'member-up' && event.node === 'b')).toHaveLength(1)
  })
})
