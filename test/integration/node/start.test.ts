import { threadId } from 'node:worker_threads'
import { defineActor, InvalidOptionError, start } from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { fns } from '../../fixtures/cluster-functions.ts'
import { lines } from '../../fixtures/portal-functions.ts'

type EchoMsg = { type: 'echo'; text: string }
const Echo = defineActor<EchoMsg, null>({
  init: () => null,
  receive(state, message, ctx) {
    ctx.reply(message.text)
    return state
  },
})

const quiet = { logLevel: 'silent', heartbeatIntervalMs: 20, heartbeatTimeoutMs: 200 } as const

describe('start() wires what its options ask for', () => {
  it('no options: a local system, whose refs to other nodes are refused', async () => {
    await using system = await start({ logLevel: 'silent' })
    expect(system.node).toBe('local')
    const echo = system.spawn(Echo, { name: 'echo' })
    expect(await echo.ask({ type: 'echo', text: 'hi' })).toBe('hi')
    expect(await system.findActor('echo')).toBeDefined()
    expect(() => system.refOf('troupe://other@127.0.0.1:1/user/echo')).toThrow(InvalidOptionError)
  })

  it('a node on the in-process network: refs to the actors of another node work like local ones', async () => {
    const network = new InProcessNetwork()
    await using a = await start({ node: 'a@127.0.0.1:1', network, ...quiet })
    await using b = await start({ node: 'b@127.0.0.1:2', network, ...quiet })
    b.spawn(Echo, { name: 'echo' })
    const there = a.refOf<EchoMsg>('troupe://b@127.0.0.1:2/user/echo')
    expect(await there.ask({ type: 'echo', text: 'across' })).toBe('across')
  })

  it('a registry hosted by the root node and joined by another: names are found across the cluster', async () => {
    const network = new InProcessNetwork()
    await using root = await start({ node: 'root@127.0.0.1:1', network, registry: true, ...quiet })
    await using worker = await start({
      node: 'worker@127.0.0.1:2',
      network,
      registry: 'root@127.0.0.1:1',
      ...quiet,
    })
    worker.spawn(Echo, { name: 'echo' })
    const echo = await root.waitForActor<EchoMsg>('echo', { timeout: 5_000 })
    expect(await echo.ask({ type: 'echo', text: 'found' })).toBe('found')
    expect(await worker.findActor('registry')).toBeDefined()
  })

  it('refuses a registry for a node without a port, and a network for a node without a name@host:port', async () => {
    const network = new InProcessNetwork()
    await expect(start({ node: 'plain', registry: true, logLevel: 'silent' })).rejects.toThrow(
      /needs a name@host:port/,
    )
    await expect(start({ node: 'plain', network, logLevel: 'silent' })).rejects.toThrow(InvalidOptionError)
  })

  it('a child node starts through the same start: it runs a function and finds its siblings by name', async () => {
    await using system = await start({ logLevel: 'silent' })
    const where = await system.nursery(async (n) => {
      const kid = n.runInActor('kid', lines.hi, [], { in: 'thread' })
      return await kid.result()
    })
    expect(where.threadId).not.toBe(threadId)
    expect(where.name).toBe('kid')
    const found = await system.nursery(async (n) => {
      const sibling = await n.startActor('sibling', { expose: [fns], in: 'thread' })
      try {
        const asker = n.runInActor('asker', fns.knows, ['sibling'], { in: 'thread' })
        return await asker.result()
      } finally {
        await sibling.cancelActor()
      }
    })
    expect(found).toBe(true)
  })
})
