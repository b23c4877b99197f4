/**
 * What the dashboard costs: the process's CPU (process.cpuUsage) over the same seconds with
 * 10,000 actors and a light load of messages, with no viewer, with one SSE viewer reading the live
 * stream (a raw HTTP client that only counts bytes, so the viewer's own cost is nearly nil), and
 * with no viewer again after it left. Printed as percent of one core.
 *
 *   npx tsx --conditions=source bench/dashboard.ts [--seconds 5] [--actors 10000]
 */
import { get } from 'node:http'
import { parseArgs } from 'node:util'
import fastify from 'fastify'
import { defineActor, failAfter, type Ref, sleep, start } from 'troupe'
import { dashboardPlugin } from 'troupe/gateway'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, actors: { type: 'string', default: '10000' } },
})
const seconds = Number(values.seconds)
const actors = Number(values.actors)
const PER_PARENT = 100

const Leaf = defineActor<number, number>({ init: () => 0, receive: (n, m) => n + m })
const Parent = defineActor<number>({
  started: (_, ctx) => {
    for (let i = 0; i < PER_PARENT - 1; i++) ctx.spawn(Leaf)
  },
  // Its children are spawned in `started`, which runs before any message: an answer says they are.
  receive: (_, _message, ctx) => ctx.reply(true),
})

const system = await start({ logLevel: 'silent', messages: 'none' })
const parents: Ref<number>[] = []
for (let i = 0; i < Math.ceil(actors / PER_PARENT); i++) parents.push(system.spawn(Parent))
await Promise.all(parents.map((parent) => parent.ask(0)))
const leaves = parents.flatMap((p) => system.childrenOf(p)) as Ref<number>[]
const all = [...parents, ...leaves]

// A light, steady load: 1,000 messages a second to actors picked in turn.
let next = 0
const load = setInterval(() => {
  for (let i = 0; i < 10; i++) all[next++ % all.length]!.tell(1)
}, 10)

const app = fastify({ forceCloseConnections: true })
const plugin = dashboardPlugin(system)
await app.register(plugin)
const url = await app.listen({ host: '127.0.0.1', port: 0 })

/** Resolves once `check()` holds, looking every 10 ms (the plugin's viewer count has no event). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(10)
}

async function cpuOver(label: string): Promise<number> {
  const from = process.cpuUsage()
  const started = performance.now()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const used = process.cpuUsage(from)
  const percent = ((used.user + used.system) / 1000 / (performance.now() - started)) * 100
  console.log(
    `${label}: ${percent.toFixed(2)}% of a core (${all.length} actors, ${seconds} s, inspecting: ${plugin.inspecting})`,
  )
  return percent
}

const idle = await cpuOver('no viewer')

let bytes = 0
let deltas = 0
const viewer = get(`${url}/dashboard/api/events`, (response) => {
  response.on('data', (chunk: Buffer) => {
    bytes += chunk.length
    deltas += chunk.toString('latin1').split('event: delta').length - 1
  })
})
viewer.on('error', () => {})
await failAfter(5_000, () => until(() => plugin.inspecting))
const watched = await cpuOver('one SSE viewer')
console.log(`  the viewer got ${deltas} deltas, ${(bytes / 1024).toFixed(0)} KiB`)
viewer.destroy()
await failAfter(5_000, () => until(() => !plugin.inspecting))
const after = await cpuOver('no viewer again')
console.log(
  `the dashboard's cost while watched: ${(watched - idle).toFixed(2)}% of a core; after the viewer left: ${(after - idle).toFixed(2)}%`,
)

clearInterval(load)
await app.close()
await system.shutdown()
