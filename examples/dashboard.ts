/**
 * The live dashboard on a fastify server on 127.0.0.1: a supervision tree of a few workers, one
 * of which crashes now and then and is restarted, and a producer that keeps a mailbox busy.
 *
 *   npx tsx --conditions=source examples/dashboard.ts --serve   # serves until Ctrl-C: open the URL
 *   npx tsx --conditions=source examples/dashboard.ts           # watches its own stream for 2 s, then ends
 */
import fastify from 'fastify'
import { defineActor, start, supervisor } from 'troupe'
// The REST gateway mounts the same plugin in its authenticated scope.
import { type DashboardDelta as Delta, dashboardPlugin } from 'troupe/gateway'

const serve = process.argv.includes('--serve')

/** Handles jobs; every 7th job makes it crash (its supervisor restarts it). */
const Flaky = defineActor<number, number>({
  init: () => 0,
  receive(done, job) {
    if (job % 7 === 6) throw new Error(`job ${job} is corrupt`)
    return done + 1
  },
})

/** Slow to handle each message, so its mailbox fills (and overflows). */
const Slow = defineActor<number>({
  receive: () => new Promise<void>((resolve) => setTimeout(resolve, 20)),
})

const Idle = defineActor<string>({ receive: () => {} })

const App = supervisor({
  strategy: 'one-for-one',
  intensity: 1_000,
  children: [
    { name: 'flaky', behavior: Flaky },
    // Bounded: past 500 queued, the oldest message goes to the dead letters.
    { name: 'slow', behavior: Slow, mailbox: { capacity: 500, overflow: 'drop-oldest' } },
    { name: 'idle', behavior: Idle },
  ],
})

const system = await start({ logLevel: 'silent' })
system.spawn(App, { name: 'app' })
const pool = system.spawn(
  defineActor<string>({
    started: (_, ctx) => {
      for (let i = 0; i < 20; i++) ctx.spawn(Idle, { name: `worker-${i}` })
    },
    receive: () => {},
  }),
  { name: 'pool' },
)

let job = 0
const feeder = setInterval(() => {
  const flaky = system.localActor<number>('flaky')
  const slow = system.localActor<number>('slow')
  flaky?.tell(job)
  for (let i = 0; i < 10; i++) slow?.tell(job)
  job++
}, 50)

// Closing ends the live streams; forced, since fetch leaves a spare connection after an aborted stream.
const app = fastify({ forceCloseConnections: true })
await app.register(dashboardPlugin(system, { intervalMs: 250 }))
const url = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`the dashboard: ${url}/`)

if (serve) {
  console.log('serving until Ctrl-C')
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
} else {
  // Be a viewer for two seconds: the stream sends a delta whenever something changed.
  const seen = await watchFor(2_000)
  console.log(`the stream sent ${seen.deltas} deltas in 2 s`)
  console.log(`restarts of /user/app/flaky seen: ${seen.restarts > 0 ? 'yes' : 'no'}`)
  console.log(`busiest mailbox: ${seen.busiest}`)
  const children = (await (
    await fetch(`${url}/dashboard/api/children?parent=${pool.path}&limit=5`)
  ).json()) as {
    total: number
  }
  console.log(`${pool.path} has ${children.total} children, listed 5 at a time`)
}

clearInterval(feeder)
await app.close()
await system.shutdown()

async function watchFor(ms: number): Promise<{ deltas: number; restarts: number; busiest: string }> {
  const result = { deltas: 0, restarts: 0, busiest: 'none' }
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), ms)
  try {
    const response = await fetch(`${url}/dashboard/api/events`, { signal: abort.signal })
    let buffer = ''
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      buffer += chunk
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (!block.startsWith('event: delta')) continue
        const delta = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Delta
        result.deltas++
        for (const row of delta.changed) if (row.path.endsWith('/flaky')) result.restarts = row.restarts
        const top = delta.top?.queued[0]
        if (top !== undefined) result.busiest = `${top.path} (${top.queued} queued)`
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error
  } finally {
    clearTimeout(timer)
  }
  return result
}
