/**
 * Service requests through `system.request` to a `system.service` of another node, beside raw
 * `request` to a raw responder, on the same nats-server in the same run:
 *
 *   services-seq       sequential requests, round trips/s
 *   services-parallel  requests with 1,000 in flight, requests/s
 *
 * Both nodes and both raw clients run in this process, over one `nats-server` the bench starts and
 * stops itself (skipped, with the reason printed, when `nats-server` is missing).
 *
 *   npx tsx bench/services.ts [--size tiny|full]
 */
import { parseArgs } from 'node:util'
import { connect } from '@nats-io/transport-node'
import { type ActorSystem, start } from 'troupe'
import { attachServices } from '../src/services/index.ts'
import { natsServerVersion, startNatsServer } from '../test/support/nats-server.ts'

const { values } = parseArgs({ options: { size: { type: 'string', default: 'full' } } })
const tiny = values.size === 'tiny'
const sequential = tiny ? 100 : 10_000
const parallel = tiny ? 1_000 : 100_000
const IN_FLIGHT = 1_000
const payload = { id: 17, item: 'widget', qty: 3 }

function line(name: string, value: number, unit: string, baseline: number): string {
  const ratio = value / baseline
  return `${name.padEnd(18)} ${Math.round(value).toLocaleString('en')} ${unit}  ${ratio.toFixed(2)}x raw (${Math.round(baseline).toLocaleString('en')} ${unit})`
}

/** Runs `count` calls of `call` with at most `window` in flight; calls per second. */
async function rate(count: number, window: number, call: () => Promise<unknown>): Promise<number> {
  let next = 0
  const began = performance.now()
  const lane = async () => {
    while (next < count) {
      next++
      await call()
    }
  }
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane))
  return count / ((performance.now() - began) / 1000)
}

async function main(): Promise<void> {
  const version = natsServerVersion()
  if (version === undefined) {
    console.log('services bench skipped: nats-server is not installed')
    return
  }
  const server = await startNatsServer({ jetstream: false })
  const clients = await Promise.all(Array.from({ length: 4 }, () => connect({ servers: server.url })))
  const systems: ActorSystem[] = []
  try {
    const [rawCaller, rawServer, callerClient, serverClient] = clients as [
      (typeof clients)[0],
      (typeof clients)[0],
      (typeof clients)[0],
      (typeof clients)[0],
    ]
    rawServer.subscribe('bench.raw', {
      queue: 'q',
      callback: (_error, msg) => {
        msg.respond(JSON.stringify({ ok: msg.json<typeof payload>().id }))
      },
    })
    await rawServer.flush()
    const encoded = JSON.stringify(payload)
    const raw = () => rawCaller.request('bench.raw', encoded, { timeout: 5_000 }).then((m) => m.json())

    const serving = await start({ node: 'serving', logLevel: 'silent' })
    const calling = await start({ node: 'calling', logLevel: 'silent' })
    systems.push(serving, calling)
    attachServices(serving, { client: serverClient, prefix: 'bench' })
    attachServices(calling, { client: callerClient, prefix: 'bench' })
    await serving.service('order', (order: typeof payload) => ({ ok: order.id }), {
      concurrency: IN_FLIGHT,
    })
    const troupe = () => calling.request('order', payload, { timeout: 5_000 })

    await rate(tiny ? 100 : 2_000, 100, raw)
    await rate(tiny ? 100 : 2_000, 100, troupe)
    console.log(`# ${version}, ${sequential} sequential and ${parallel} parallel requests`)
    const rawSeq = await rate(sequential, 1, raw)
    const troupeSeq = await rate(sequential, 1, troupe)
    console.log(line('services-seq', troupeSeq, 'req/s', rawSeq))
    const rawPar = await rate(parallel, IN_FLIGHT, raw)
    const troupePar = await rate(parallel, IN_FLIGHT, troupe)
    console.log(line('services-parallel', troupePar, 'req/s', rawPar))
  } finally {
    for (const system of systems) await system.shutdown()
    await Promise.all(clients.map((client) => client.close()))
    await server.stop()
  }
}

await main()
