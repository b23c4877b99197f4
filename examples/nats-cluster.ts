/**
 * A cluster over NATS: three nodes on a cluster of three nats-servers. An actor is found by name
 * from every node, a service one node serves is called from the others, every node lists the
 * members, and when a node leaves the others are told.
 *
 * Start the servers (README, "A cluster over NATS"), then:
 *   npx tsx --conditions=source examples/nats-cluster.ts
 * NATS_URLS (comma-separated) names other servers.
 */
import { defineActor, start } from 'troupe'

const urls = (process.env.NATS_URLS ?? 'nats://127.0.0.1:4221,nats://127.0.0.1:4222,nats://127.0.0.1:4223')
  .split(',')
  .filter((url) => url !== '')
// Every node must prove the same cookie; TROUPE_COOKIE or ~/.troupe-cookie gives one by default.
const cookie = process.env.TROUPE_COOKIE ?? 'nats-cluster-example-cookie'

type CounterMsg = { type: 'add'; n: number } | { type: 'total' }

/** Adds up what it is sent, and says where it runs. */
export const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  receive(total, msg, ctx) {
    if (msg.type === 'add') return total + msg.n
    ctx.reply(`${total}, counted on ${ctx.self.address}`)
    return total
  },
})

/** Each node connects to the servers in its own order: a node lives on whichever answers first. */
const rotated = (by: number) => [...urls.slice(by), ...urls.slice(0, by)]

const nodes = await Promise.all(
  ['alpha', 'beta', 'gamma'].map((node, i) =>
    start({ node, cookie, nats: { servers: rotated(i), prefix: 'example' }, logLevel: 'warn' }),
  ),
).catch((error: unknown) => {
  console.error(`cannot start the nodes: ${error instanceof Error ? error.message : String(error)}`)
  console.error('start three nats-servers first: see "A cluster over NATS" in README.md')
  process.exit(1)
})
const [alpha, beta, gamma] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]

// An actor on alpha, found by name from beta and gamma.
alpha.spawn(Counter, { name: 'counter' })
for (const node of [beta, gamma]) {
  const counter = await node.waitForActor<CounterMsg>('counter', { timeout: 5_000 })
  counter.tell({ type: 'add', n: 21 })
  console.log(`${node.node} found the counter: ${await counter.ask<string>({ type: 'total' })}`)
}

// A service on beta, called from alpha and gamma (and from any NATS client: it is a NATS micro service).
await beta.service('greet', (name: string) => `hello ${name}, from ${beta.node}`)
console.log(`alpha asked the greet service: ${await alpha.request<string>('greet', 'alpha')}`)
console.log(`gamma asked the greet service: ${await gamma.request<string>('greet', 'gamma')}`)

console.log(
  `the members, as gamma sees them: ${gamma
    .members()
    .map((m) => m.node)
    .join(', ')}`,
)

// alpha leaves: a watcher of its counter learns it stopped, and the others see alpha go.
const watched = await gamma.waitForActor('counter', { timeout: 5_000 })
const ended = gamma.watch(watched)
await watched.ask({ type: 'total' }) // the watch is set once this is answered (messages keep their order)
await alpha.shutdown()
console.log(`alpha shut down; gamma's watch of the counter got: ${(await ended).reason}`)
const left = new Promise<void>((resolve) => {
  const check = () => (gamma.members().some((m) => m.node === 'alpha') ? setTimeout(check, 10) : resolve())
  check()
})
await left
console.log(
  `the members now: ${gamma
    .members()
    .map((m) => m.node)
    .join(', ')}`,
)
console.log(
  `the counter is ${(await gamma.findActor('counter')) === undefined ? 'no longer' : 'still'} found`,
)
await Promise.all([beta.shutdown(), gamma.shutdown()])
