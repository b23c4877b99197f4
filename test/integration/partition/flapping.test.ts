import { describe, expect, it } from 'vitest'
import { type NatsCluster, startNatsCluster } from '../../support/nats-server.ts'
import { makeNetworkPair, type NetworkPair, namespacesUnavailable } from '../../support/netns.ts'
import { type PartitionNode, startPartitionNode } from './support.ts'

// Two nodes in network namespaces joined by a veth pair whose link flaps: down 2 s, up 1 s, for a
// minute, under a light traffic of asks both ways; over TCP, and over NATS with servers on both
// sides. What each reconnection allocates must be given back: once healed and settled, the heap
// and the open file descriptors of each node are back near where they were after the first flaps.
// The nodes run with PARTITION_SOURCE_MAPS=off: mapping stack traces through source maps (the
// loader's doing, not the node's) keeps each module's parsed map from the first error whose stack
// passes through it; over NATS, megabytes that came or not depending on which timeouts a run hit.
const unavailable = namespacesUnavailable()
if (unavailable !== undefined) console.warn(`skipping the flapping link tests: ${unavailable}`)

const COOKIE = 'partition-test-cookie-0123456789'
const DOWN_MS = 2000
const UP_MS = 1000
const FLAPPING_MS = 60_000
/** Flapping again after the measure, to see that what grew has levelled off. */
const MORE_FLAPPING_MS = 15_000
const NODE_ENV = { PARTITION_SOURCE_MAPS: 'off' }

/** What a test made, stopped when it finishes however it ends: the nodes, then the servers, then the pair. */
function cleanup(onTestFinished: (fn: () => Promise<void>) => void) {
  const made = { nodes: [] as PartitionNode[], servers: undefined as NatsCluster | undefined }
  let pair: NetworkPair | undefined
  onTestFinished(async () => {
    await Promise.all(made.nodes.map((node) => node.kill()))
    await made.servers?.stop()
    pair?.remove()
  })
  return {
    made,
    pair(): NetworkPair {
      pair = makeNetworkPair()
      return pair
    },
  }
}

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

const within = (share: number) => (after: number, before: number) =>
  Math.abs(after - before) <= before * share
const within10Percent = within(0.1)
const within2Percent = within(0.02)

/**
 * Claims `svc` on `second` and `home` on `first`, runs asks of each other's name both ways while
 * the link flaps, and checks the heap and file descriptors of both against the baseline.
 */
async function flapUnderTraffic(
  net: NetworkPair,
  [first, second]: readonly [PartitionNode, PartitionNode],
  settleMs: number,
): Promise<void> {
  await second.ask('claim svc', 'claimed svc')
  await first.ask('claim home', 'claimed home')
  expect((await first.ask('wait svc', 'found svc')).words[2]).not.toBe('none')
  expect((await second.ask('wait home', 'found home')).words[2]).not.toBe('none')
  const settled = () =>
    Promise.all([askSucceeds(first, 'svc', settleMs), askSucceeds(second, 'home', settleMs)])
  const traffic = [asking(first, 'svc'), asking(second, 'home')]
  try {
    // Two flaps first, so that what is allocated lazily (buffers, caches, code) is in the baseline.
    await flap(net, 2 * (DOWN_MS + UP_MS))
    await settled()
    const before = [await stats(first), await stats(second)]
    const cycles = await flap(net, FLAPPING_MS)
    await settled()
    const after = [await stats(first), await stats(second)]
    const moreCycles = await flap(net, MORE_FLAPPING_MS)
    await settled()
    const later = [await stats(first), await stats(second)]
    const figures = (key: 'heap' | 'fds') =>
      before.map((b, i) => `${b[key]} -> ${after[i]![key]} -> ${later[i]![key]}`).join(', ')
    console.log(
      `flapping: ${cycles} + ${moreCycles} cycles; asks ${JSON.stringify(traffic.map((flow) => flow.counts))}; heap ${figures('heap')}; fds ${figures('fds')}`,
    )
    for (const i of [0, 1]) {
      for (const [when, measured] of [
        ['after', after],
        ['later', later],
      ] as const) {
        const { heap, fds } = measured[i]!
        expect(within10Percent(heap, before[i]!.heap), `heap of node ${i + 1} ${when}`).toBe(true)
        expect(within10Percent(fds, before[i]!.fds), `fds of node ${i + 1} ${when}`).toBe(true)
      }
      // What grew over the first minute (code compiled for paths only the flaps run: about 5%) has
      // levelled off: a steady growth of the 190 kB a flap first measured would add 6% here.
      expect(within2Percent(later[i]!.heap, after[i]!.heap), `heap of node ${i + 1} levels off`).toBe(true)
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
}

// The two tests wait on the flaps far more than they compute, and each has its own pair of
// namespaces and its own ports: they run side by side.
describe.skipIf(unavailable !== undefined)('a flapping link', { concurrent: true }, () => {
  it('between two TCP nodes leaves no growth of heap or file descriptors once healed and settled', async ({
    onTestFinished,
  }) => {
    const { made, pair } = cleanup(onTestFinished)
    const net = pair()
    const rootName = `root@${net.a.address}:7101`
    const root = await startPartitionNode(net.a, [rootName, 'true', COOKIE], NODE_ENV)
    made.nodes.push(root)
    const worker = await startPartitionNode(
      net.b,
      [`worker@${net.b.address}:7102`, rootName, COOKIE],
      NODE_ENV,
    )
    made.nodes.push(worker)
    await flapUnderTraffic(net, [root, worker], 15_000)
  }, 130_000)

  // Heap snapshots before and after the flaps show the node's own objects flat over NATS (its
  // consumers, subscriptions, status iterators, connections, timers, promises); what grew was the
  // loader's parsed source maps (see above), and code compiled on first use, which levels off.
  it('between two NATS nodes on a routed cluster leaves no growth of heap or file descriptors once healed and settled', async ({
    onTestFinished,
  }) => {
    const { made, pair } = cleanup(onTestFinished)
    const net = pair()
    made.servers = await startNatsCluster(3, {
      places: [net.a, net.a, net.b].map((ns) => ({ host: ns.address, exec: ns.exec })),
    })
    const [a1, a2, b1] = made.servers.urls
    const left = await startPartitionNode(net.a, ['left', `nats:${a1},${a2}`, COOKIE, '3'], NODE_ENV)
    made.nodes.push(left)
    const right = await startPartitionNode(net.b, ['right', `nats:${b1}`, COOKIE, '3'], NODE_ENV)
    made.nodes.push(right)
    // JetStream re-elects and the minority node re-joins after each flap: settling takes longer.
    await flapUnderTraffic(net, [left, right], 30_000)
  }, 200_000)
})
