/**
 * Requests per second through the MajorDomo broker, next to a raw ZeroMQ DEALER/ROUTER echo
 * measured in the same run:
 *
 *   npx tsx bench/majordomo.ts [--requests 60000] [--in-flight 64] [--workers 4] [--processes 4] [--here]
 *
 * The broker and the client run in this process; the echo workers run in child processes,
 * spread evenly over --processes of them (one each by default), or in this process with --here.
 * The client keeps --in-flight requests going, one per socket of its pool.
 *
 * The raw figures, both in this process, against a ROUTER that sends every message straight
 * back: one DEALER with --in-flight requests pipelined on it, and a pool of --in-flight DEALERs
 * with one request each (the shape of the MajorDomo client, whose replies name no request), the
 * floor of a request with no broker and no worker in between.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Dealer, Router } from 'zeromq'
import { type MdpWorker, mdpClient, startBroker, startWorker } from '../src/flow/majordomo/index.ts'

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '60000' },
    'in-flight': { type: 'string', default: '64' },
    workers: { type: 'string', default: '4' },
    processes: { type: 'string', default: '4' },
    here: { type: 'boolean', default: false },
  },
})
const requests = Number(values.requests)
const inFlight = Number(values['in-flight'])
const workerCount = Number(values.workers)
const processCount = Math.min(Number(values.processes), workerCount)
const body = [Buffer.from('0123456789abcdef')]

async function raw(): Promise<number> {
  const router = new Router({ linger: 0 })
  await router.bind('tcp://127.0.0.1:*')
  const echo = (async () => {
    for await (const frames of router) await router.send(frames)
  })().catch(() => {})
  const dealer = new Dealer({ linger: 0 })
  dealer.connect(router.lastEndpoint!)
  const started = performance.now()
  let sent = 0
  for (; sent < Math.min(inFlight, requests); sent++) await dealer.send(body)
  let received = 0
  for await (const frames of dealer) {
    if (++received === requests) break
    if (sent < requests) {
      sent++
      await dealer.send(frames)
    }
  }
  const rate = requests / ((performance.now() - started) / 1000)
  dealer.close()
  router.close()
  await echo
  return rate
}

async function rawPool(): Promise<number> {
  const router = new Router({ linger: 0 })
  await router.bind('tcp://127.0.0.1:*')
  const echo = (async () => {
    for await (const frames of router) await router.send(frames)
  })().catch(() => {})
  const dealers = Array.from({ length: inFlight }, () => {
    const dealer = new Dealer({ linger: 0 })
    dealer.connect(router.lastEndpoint!)
    return dealer
  })
  const started = performance.now()
  let next = 0
  await Promise.all(
    dealers.map(async (dealer) => {
      while (next++ < requests) {
        await dealer.send(body)
        await dealer.receive()
      }
    }),
  )
  const rate = requests / ((performance.now() - started) / 1000)
  for (const dealer of dealers) dealer.close()
  router.close()
  await echo
  return rate
}

async function majordomo(): Promise<number> {
  const broker = await startBroker({ endpoint: 'tcp://127.0.0.1:*' })
  const here: MdpWorker[] = []
  const children: ChildProcess[] = []
  try {
    if (values.here) {
      for (let n = 0; n < workerCount; n++)
        here.push(startWorker({ broker: broker.endpoint, service: 'echo', handler: (b) => b }))
    }
    const script = fileURLToPath(new URL('./majordomo-worker.ts', import.meta.url))
    for (let p = 0; !values.here && p < processCount; p++) {
      // The workers spread over the processes as evenly as they go.
      const count = Math.floor(workerCount / processCount) + (p < workerCount % processCount ? 1 : 0)
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', script, broker.endpoint, 'echo', String(count)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      children.push(child)
      await once(child.stdout!, 'data')
    }
    while ((broker.stats().services.echo?.workers ?? 0) < workerCount)
      await new Promise((resolve) => setImmediate(resolve))
    const client = mdpClient({ broker: broker.endpoint, maxInFlight: inFlight })
    await client.request('echo', body)
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next++ < requests) await client.request('echo', body)
      }),
    )
    const rate = requests / ((performance.now() - started) / 1000)
    await client.close()
    return rate
  } finally {
    for (const worker of here) await worker.close()
    for (const child of children) {
      child.kill('SIGTERM')
      if (child.exitCode === null) await once(child, 'exit')
    }
    await broker.close()
  }
}

const floor = await raw()
const pool = await rawPool()
const mdp = await majordomo()
const where = values.here
  ? 'in this process'
  : `in ${processCount} child process${processCount === 1 ? '' : 'es'}`
const ofRaw = (rate: number) => `${((rate / floor) * 100).toFixed(0)}% of raw`
console.log(`raw DEALER/ROUTER echo, ${inFlight} in flight on one DEALER: ${Math.round(floor)} req/s`)
console.log(
  `raw DEALER/ROUTER echo, ${inFlight} DEALERs, one in flight each: ${Math.round(pool)} req/s (${ofRaw(pool)})`,
)
console.log(
  `MajorDomo, ${workerCount} workers ${where}, ${inFlight} in flight: ${Math.round(mdp)} req/s (${ofRaw(mdp)})`,
)
