import { afterEach, describe, expect, it } from 'vitest'
import { makeNetworkPair, type NetworkPair, namespacesUnavailable } from '../../support/netns.ts'
import { type PartitionNode, startPartitionNode } from './support.ts'

// Two TCP nodes in network namespaces of their own, joined by a veth pair that the test cuts
// (the link goes down: packets are dropped without a FIN or RST, as a dead switch drops them).
const unavailable = namespacesUnavailable()
if (unavailable !== undefined) console.warn(`skipping the TCP partition tests: ${unavailable}`)

const COOKIE = 'partition-test-cookie-0123456789'
/** The nodes' heartbeat timeout (partition-node.ts), and the slack allowed on top of it. */
const NOTICE_WITHIN_MS = 1500 + 1500

let pair: NetworkPair | undefined
const nodes: PartitionNode[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.kill()))
  pair?.remove()
  pair = undefined
})

async function cluster(): Promise<{ net: NetworkPair; root: PartitionNode; worker: PartitionNode }> {
  const net = makeNetworkPair()
  pair = net
  const rootName = `root@${net.a.address}:7101`
  const root = await startPartitionNode(net.a, [rootName, 'true', COOKIE])
  nodes.push(root)
  const worker = await startPartitionNode(net.b, [`worker@${net.b.address}:7102`, rootName, COOKIE])
  nodes.push(worker)
  return { net, root, worker }
}

describe.skipIf(unavailable !== undefined)('a partition between two TCP nodes', () => {
  it('is noticed on both sides in time, sends fail fast, and after the heal the names converge with one owner', async () => {
    const { net, root, worker } = await cluster()
    await worker.ask('claim svc', 'claimed svc')
    await root.ask('claim home', 'claimed home')
    const svc = await root.ask('wait svc', 'found svc')
    expect(svc.words[2]).toContain(`worker@${net.b.address}`)
    expect((await root.ask('ask svc', 'ask')).words[1]).toBe('ok')
    expect((await worker.ask('watch home', 'watching home')).words[2]).toContain('root@')
    expect((await root.ask('watch svc', 'watching svc')).words[2]).toContain('worker@')

    const rootNoticed = root.next('terminated svc')
    const workerNoticed = worker.next('terminated home')
    const cutAt = Date.now()
    net.cut()
    const [seenByRoot, seenByWorker] = await Promise.all([rootNoticed, workerNoticed])
    expect(seenByRoot.words[2]).toBe('node-down')
    expect(seenByWorker.words[2]).toBe('node-down')
    expect(seenByRoot.at - cutAt).toBeLessThan(NOTICE_WITHIN_MS)
    expect(seenByWorker.at - cutAt).toBeLessThan(NOTICE_WITHIN_MS)

    // Sends fail fast while the link is down: well within the ask's own 1 s deadline.
    for (const node of [root, worker]) {
      const failed = await node.ask(`ask-ref ${node === root ? 'svc' : 'home'}`, 'ask')
      expect(failed.words[1]).toBe('failed')
      expect(Number(failed.words[4]), failed.words.join(' ')).toBeLessThan(500)
    }
    // The root's registry forgot the worker's name; another actor takes it while the worker is away.
    expect((await root.ask('find svc', 'found svc')).words[2]).toBe('none')
    await root.ask('claim svc', 'claimed svc')

    const healAt = cutAt + 10_000
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, healAt - Date.now())))
    net.heal()
    // After the heal the worker rejoins: its claim of svc is refused, and both sides name one owner.
    const deadline = Date.now() + 10_000
    let seen = ''
    while (Date.now() < deadline) {
      seen = (await worker.ask('find svc', 'found svc')).words[2] ?? ''
      if (seen.includes('root@')) break
    }
    expect(seen).toContain(`root@${net.a.address}`)
    expect((await root.ask('find svc', 'found svc')).words[2]).toContain(`root@${net.a.address}`)
    expect((await worker.ask('ask home', 'ask')).words[1]).toBe('ok')
  }, 60_000)
})
