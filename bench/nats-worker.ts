/**
 * The NATS throughput figures on one subject, in a fresh process: forked by run.ts with a
 * `NatsJob` (the server's URL and a prefix of its own), it answers with one `WorkerReport` over
 * IPC and exits. Both ends of each exchange live in this process, each with its own connection:
 *
 *   nats-tells    floor: raw `publish` of 48-byte payloads to a subscriber, until it has them all;
 *                 troupe: tells from one node to a counter on another, then an ask for the count
 *   nats-ask      floor: sequential raw `request`s to a responder echoing the payload;
 *                 troupe: sequential asks of an actor on another node
 *   nats-request  floor: sequential raw `request`s of a JSON body to a queue-group responder;
 *                 troupe: sequential `system.request` of a `system.service` on another node;
 *                 then 10 times as many with 1,000 in flight, on both
 *
 * The timing follows `worker.ts`: a warm-up at 1/10 of the size, then measured runs (repeated while
 * under `repeatBelowMs`, up to `maxRuns`), two `gc()` calls before each; connecting, starting the
 * nodes and spawning the actors are not timed.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { type ActorSystem, defineActor, type Ref, start } from 'troupe'
import { runJob } from './job-runner.ts'
import {
  type NatsJob,
  type NatsRun,
  natsCookie,
  parallelScale,
  payloadBytes,
  requestPayload,
  requestsInFlight,
} from './nats.ts'

const timeout = { timeout: 120_000 }

/** Runs `count` calls of `call` with at most `window` in flight; how many answered right. */
async function lanes(count: number, window: number, call: () => Promise<boolean>): Promise<number> {
  let started = 0
  let answered = 0
  const lane = async () => {
    while (started < count) {
      started++
      if (await call()) answered++
    }
  }
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane))
  return answered
}

/** One subject's side; each method runs `count` operations and returns how many took effect. */
interface NatsSide {
  tells(count: number): Promise<number>
  asks(count: number): Promise<number>
  requests(count: number): Promise<number>
  /** The same requests with `window` in flight at once. */
  parallel(count: number, window: number): Promise<number>
  close(): Promise<void>
}

async function rawSide(url: string, prefix: string): Promise<NatsSide> {
  const clients: NatsConnection[] = await Promise.all([0, 1].map(() => connect({ servers: url })))
  const [caller, callee] = clients as [NatsConnection, NatsConnection]
  const payload = new Uint8Array(payloadBytes)
  let received = 0
  let wanted = 0
  let arrived: () => void = () => {}
  callee.subscribe(`${prefix}.raw.tells`, {
    callback: () => {
      if (++received === wanted) arrived()
    },
  })
  callee.subscribe(`${prefix}.raw.echo`, { callback: (_e, msg) => void msg.respond(msg.data) })
  callee.subscribe(`${prefix}.raw.order`, {
    queue: 'q',
    callback: (_e, msg) => void msg.respond(JSON.stringify({ ok: msg.json<typeof requestPayload>().id })),
  })
  await callee.flush()
  const body = JSON.stringify(requestPayload)
  return {
    async tells(count) {
      received = 0
      wanted = count
      const done = new Promise<void>((resolve) => {
        arrived = resolve
      })
      for (let i = 0; i < count; i++) caller.publish(`${prefix}.raw.tells`, payload)
      await done
      return received
    },
    async asks(count) {
      let answered = 0
      for (let i = 0; i < count; i++) {
        const reply = await caller.request(`${prefix}.raw.echo`, payload, timeout)
        if (reply.data.length === payloadBytes) answered++
      }
      return answered
    },
    async requests(count) {
      let answered = 0
      for (let i = 0; i < count; i++) {
        const reply = await caller.request(`${prefix}.raw.order`, body, timeout)
        if (reply.json<{ ok: number }>().ok === requestPayload.id) answered++
      }
      return answered
    },
    parallel: (count, window) =>
      lanes(count, window, async () => {
        const reply = await caller.request(`${prefix}.raw.order`, body, timeout)
        return reply.json<{ ok: number }>().ok === requestPayload.id
      }),
    close: async () => {
      await Promise.all(clients.map((client) => client.close()))
    },
  }
}

type CounterMsg = { type: 'inc'; by: number } | { type: 'get' }
const Counter = defineActor<CounterMsg, { n: number }>({
  init: () => ({ n: 0 }),
  receive(state, msg, ctx) {
    if (msg.type === 'inc') state.n += msg.by
    else ctx.reply(state.n)
    return state
  },
})

async function troupeSide(url: string, prefix: string): Promise<NatsSide> {
  const options = {
    nats: { servers: url, prefix },
    cookie: natsCookie,
    logLevel: 'silent' as const,
    messages: 'none' as const,
  }
  const systems: ActorSystem[] = []
  try {
    systems.push(await start({ ...options, node: 'bench-a' }))
    systems.push(await start({ ...options, node: 'bench-b' }))
  } catch (error) {
    await Promise.all(systems.map((system) => system.shutdown()))
    throw error
  }
  const [a, b] = systems as [ActorSystem, ActorSystem]
  a.expose({ counter: Counter })
  b.expose({ counter: Counter })
  await b.service('order', (order: typeof requestPayload) => ({ ok: order.id }), {
    concurrency: requestsInFlight,
  })
  const fresh = async (): Promise<Ref<CounterMsg>> => {
    const counter = a.spawn(Counter, { on: b.node })
    await counter.ask({ type: 'get' }, timeout)
    return counter
  }
  return {
    async tells(count) {
      const counter = await fresh()
      for (let i = 0; i < count; i++) counter.tell({ type: 'inc', by: 1 })
      const total = await counter.ask<number>({ type: 'get' }, timeout)
      await a.stop(counter)
      return total
    },
    async asks(count) {
      const counter = await fresh()
      let answered = 0
      for (let i = 0; i < count; i++)
        if ((await counter.ask<number>({ type: 'get' }, timeout)) === 0) answered++
      await a.stop(counter)
      return answered
    },
    async requests(count) {
      let answered = 0
      for (let i = 0; i < count; i++) {
        const reply = await a.request<{ ok: number }>('order', requestPayload, timeout)
        if (reply.ok === requestPayload.id) answered++
      }
      return answered
    },
    parallel: (count, window) =>
      lanes(count, window, async () => {
        const reply = await a.request<{ ok: number }>('order', requestPayload, timeout)
        return reply.ok === requestPayload.id
      }),
    close: async () => {
      await Promise.all(systems.map((system) => system.shutdown()))
    },
  }
}

function collect(): void {
  if (!globalThis.gc) throw new Error('run the worker with --expose-gc')
  globalThis.gc()
  globalThis.gc()
}

async function measure(job: NatsJob, side: NatsSide, count: number): Promise<NatsRun> {
  const run =
    job.workload === 'nats-tells' ? side.tells : job.workload === 'nats-ask' ? side.asks : side.requests
  collect()
  const started = performance.now()
  const done = await run(count)
  const ms = performance.now() - started
  if (done !== count) throw new Error(`${job.workload} on ${job.subject}: ${done} of ${count} took effect`)
  if (job.workload !== 'nats-request') return { ms }
  const inFlight = count * parallelScale
  collect()
  const began = performance.now()
  const answered = await side.parallel(inFlight, requestsInFlight)
  const parallelMs = performance.now() - began
  if (answered !== inFlight) throw new Error(`${answered} of ${inFlight} parallel requests answered`)
  return { ms, parallelMs }
}

async function main(job: NatsJob): Promise<NatsRun[]> {
  const side =
    job.subject === 'floor' ? await rawSide(job.url, job.prefix) : await troupeSide(job.url, job.prefix)
  try {
    if (job.warmup) await measure(job, side, job.warmup.count)
    const runs = [await measure(job, side, job.params.count)]
    while (runs.length < job.maxRuns && runs[0]!.ms < job.repeatBelowMs)
      runs.push(await measure(job, side, job.params.count))
    return runs
  } finally {
    await side.close()
  }
}

runJob<NatsJob, NatsRun>('nats-worker.ts', main)
