import { afterEach, describe, expect, it } from 'vitest'
import { makeNetworkPair, type NetworkPair, namespacesUnavailable } from '../../support/netns.ts'
import { type PartitionNode, startPartitionNode } from './support.ts'

// Two TCP nodes in network namespaces joined by a veth pair whose link flaps: down 2 s, up 1 s,
// for a minute, under a light traffic of asks both ways. What each reconnection allocates must be
// given back: once healed and settled, the heap and the open file descriptors of each node are
// back near where they were after the first flaps.
const unavailable = namespacesUnavailable()
if (unavailable !== undefined) console.warn(`skipping the flapping link tests: ${unavailable}`)

const COOKIE = 'partition-test-cookie-0123456789'
const DOWN_MS = 2000
const UP_MS = 1000
const FLAPPING_MS = 60_000

let pair: NetworkPair | undefined
const nodes: PartitionNode[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.kill()))
  pair?.remove()
  pair = undefined
})

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What `stats` says: the heap after a full GC, and the open file descriptors. */
async function stats(node: PartitionNode): Promise<{ heap: number; fds: number }> {
  const line = await node.ask('stats', 'stats', 15_000)
  return { heap: Number(line.words[1]), fds: Number(line.words[2]) }
}

/** Asks `name` from `node` one after another, a little apart, until stopped; counts the outcomes. */
function asking(node: PartitionNode, name: string) {
  const counts = { ok: 0, failed: 0 }
  let running = true
  let error: unknown
  const loop = (async () => {
    while (running) {
      const reply = await node.ask(`ask ${name}`, 'ask', 15_000)
      counts[reply.words[1] === 'ok' ? 'ok' : 'failed']++
      await pause(50)
    }
  })().catch((thrown: unknown) => {
    error = thrown
  })
  return {
    counts,
    /** Why the loop ended early (an ask got no reply, the node exited), if it did. */
    error: () => error,
    async stop() {
      running = false
      await loop
    },
  }
}

/** Flaps the link for `ms`: down for DOWN_MS, up for UP_MS, ending up. */
async function flap(net: NetworkPair, ms: number): Promise<number> {
  const end = Date.now() + ms
  let cycles = 0
  while (Date.now() < end) {
    net.cut()
    await pause(DOWN_MS)
    net.heal()
    await pause(UP_MS)
    cycles++
  }
  return cycles
}

/** Resolves once an ask of `name` from `node` succeeds; rejects after `ms`. */
async function askSucceeds(node: PartitionNode, name: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while ((await node.ask(`ask ${name}`, 'ask', 15_000)).words[1] !== 'ok')
    if (Date.now() > deadline) throw new Error(`no ask of ${name} succeeded within ${ms} ms`)
}

const within10Percent = (after: number, before: number) => Math.abs(after - before) <= before * 0.1

describe.skipIf(unavailable !== undefined)('a flapping link between two TCP nodes', () => {
  it('leaves no growth of heap or file descriptors behind once healed and settled', async () => {
    const net = makeNetworkPair()
    pair = net
    const rootName = `root@${net.a.address}:7101`
    const root = await startPartitionNode(net.a, [rootName, 'true', COOKIE])
    nodes.push(root)
    const worker = await startPartitionNode(net.b, [`worker@${net.b.address}:7102`, rootName, COOKIE])
    nodes.push(worker)
    await worker.ask('claim svc', 'claimed svc')
    await root.ask('claim home', 'claimed home')
    expect((await root.ask('wait svc', 'found svc')).words[2]).toContain('worker@')
    expect((await worker.ask('wait home', 'found home')).words[2]).toContain('root@')

    const traffic = [asking(root, 'svc'), asking(worker, 'home')]
    try {
      // Two flaps first, so that what is allocated lazily (buffers, caches, code) is in the baseline.
      await flap(net, 2 * (DOWN_MS + UP_MS))
      await Promise.all([askSucceeds(root, 'svc', 15_000), askSucceeds(worker, 'home', 15_000)])
      const before = [await stats(root), await stats(worker)]
      const cycles = await flap(net, FLAPPING_MS)
      await Promise.all([askSucceeds(root, 'svc', 15_000), askSucceeds(worker, 'home', 15_000)])
      const after = [await stats(root), await stats(worker)]
      console.log(
        `flapping: ${cycles} cycles; asks of root ${JSON.stringify(traffic[0]!.counts)}, of worker ${JSON.stringify(traffic[1]!.counts)}; root heap ${before[0]!.heap} -> ${after[0]!.heap}, fds ${before[0]!.fds} -> ${after[0]!.fds}; worker heap ${before[1]!.heap} -> ${after[1]!.heap}, fds ${before[1]!.fds} -> ${after[1]!.fds}`,
      )
      for (const [i, node] of ['root', 'worker'].entries()) {
        expect(within10Percent(after[i]!.heap, before[i]!.heap), `${node} heap`).toBe(true)
        expect(within10Percent(after[i]!.fds, before[i]!.fds), `${node} fds`).toBe(true)
      }
      // The traffic went through between the flaps, and failed (not hung) while the link was down.
      for (const { counts, error } of traffic) {
        expect(error()).toBeUndefined()
        expect(counts.ok).toBeGreaterThan(0)
        expect(counts.failed).toBeGreaterThan(0)
      }
    } finally {
      await Promise.all(traffic.map((flow) => flow.stop()))
    }
  }, 100_000)
})
