import type { Params, SizeName } from './workloads.ts'

/**
 * The `troupe/flow` figures: events through a 4-stage pipeline, a 1 MiB event fanned out to 4
 * sinks against 1, and full-circle HTTP through a 4-stage graph loaded by autocannon; and the
 * gateway's figure, an ask over HTTP (`POST /actors/:name?ask=1`) loaded the same way.
 */
export type FlowWorkloadName = 'flow-pipeline' | 'flow-fanout' | 'flow-http' | 'gateway-ask'
export const flowWorkloadNames: readonly FlowWorkloadName[] = [
  'flow-pipeline',
  'flow-fanout',
  'flow-http',
  'gateway-ask',
]

export function isFlowWorkload(name: string): name is FlowWorkloadName {
  return (flowWorkloadNames as readonly string[]).includes(name)
}

/**
 * pipeline: `floor` is 4 plain Troupe actors passing each message on with `tell`, `troupe` a
 * director's graph of 4 `Transform`s. fanout: `floor` is the same graph with 1 sink, `troupe`
 * with 4. http: `floor` is a plain fastify handler doing the 4 stages inline, `troupe` an `Http`
 * component and 4 `Transform`s. gateway-ask: `floor` is a plain fastify route that asks an actor
 * (which does the 4 stages) and answers its reply, `troupe` the gateway asking the same actor.
 */
export type FlowSubjectName = 'floor' | 'troupe'

/** pipeline and fanout: `count` events; http: `count` ms of load from `actors` connections. */
const fullParams: Record<FlowWorkloadName, Params> = {
  'flow-pipeline': { count: 200_000 },
  'flow-fanout': { count: 300 },
  'flow-http': { count: 10_000, actors: 50 },
  'gateway-ask': { count: 10_000, actors: 50 },
}

const tinyParams: Record<FlowWorkloadName, Params> = {
  'flow-pipeline': { count: 1_000 },
  'flow-fanout': { count: 10 },
  'flow-http': { count: 1_000, actors: 50 },
  'gateway-ask': { count: 1_000, actors: 50 },
}

export function flowParamsFor(workload: FlowWorkloadName, size: SizeName): Params {
  return (size === 'full' ? fullParams : tinyParams)[workload]
}

/** The data every stage sees: a number to work on. */
export interface Work {
  readonly n: number
}

/** The 4 stages of trivial work, the same in every subject. */
export const stages: readonly ((data: Work) => Work)[] = [
  (d) => ({ n: d.n + 1 }),
  (d) => ({ n: d.n * 2 }),
  (d) => ({ n: d.n - 3 }),
  (d) => ({ n: d.n % 1_000_003 }),
]

/** `data` through every stage. */
export const throughStages = (data: Work): Work => stages.reduce((d, stage) => stage(d), data)

/** What the pipeline's sink sums over `count` events: stage 4's `n` of each `{ n: i }`. */
export function pipelineExpected(count: number): number {
  let sum = 0
  for (let i = 0; i < count; i++) sum += throughStages({ n: i }).n
  return sum
}

/**
 * The fan-out's event data, built afresh per event: records of a number and a text of its own
 * (a string each, so the graph is about 1 MiB in memory too), about 1 MiB as JSON.
 */
export const fanoutRecords = 8_192
export const fanoutTextLength = 104
export function fanoutPayload(i: number): { records: { i: number; text: string }[] } {
  return {
    records: Array.from({ length: fanoutRecords }, (_, r) => ({
      i: r,
      text: `${i}:${r}:`.padEnd(fanoutTextLength, 'x'),
    })),
  }
}

/** The fan-out figure's wires: 4 sinks on `troupe`, 1 on `floor`. */
export const fanoutWires = { floor: 1, troupe: 4 } as const

/** The body every request carries, and the one every answer must be. */
export const httpBody: Work = { n: 12 }
export const httpAnswer = JSON.stringify(throughStages(httpBody))

/** What the HTTP server process sends over IPC once it listens: where to POST, with what headers. */
export interface FlowServerReady {
  port: number
  path: string
  headers: Record<string, string>
}

/** One flow job, as run.ts passes it to `flow-worker.ts`. */
export interface FlowJob {
  subject: FlowSubjectName
  workload: FlowWorkloadName
  params: Params
  warmup: Params | null
  repeatBelowMs: number
  maxRuns: number
  timeoutMs: number
}

/** One measured run: its time; for http, autocannon's requests/s and latency p99. */
export interface FlowRun {
  ms: number
  requestsPerSec?: number
  p99Ms?: number
}
