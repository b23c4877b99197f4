import type { Params, SizeName } from './workloads.ts'

/**
 * The NATS figures' names, sizes, jobs and node settings. Every figure runs on one `nats-server`
 * (with JetStream, which the cluster's names and members need) that run.ts starts once per run;
 * each job gets its own subject prefix, so its buckets and subjects are its own.
 */
export type NatsWorkloadName =
  | 'nats-tells'
  | 'nats-ask'
  | 'nats-request'
  | 'nats-name-gone'
  | 'nats-heartbeats-3'
  | 'nats-heartbeats-10'
  | 'nats-heartbeats-30'
export const natsWorkloadNames: readonly NatsWorkloadName[] = [
  'nats-tells',
  'nats-ask',
  'nats-request',
  'nats-name-gone',
  'nats-heartbeats-3',
  'nats-heartbeats-10',
  'nats-heartbeats-30',
]

export function isNatsWorkload(name: string): name is NatsWorkloadName {
  return (natsWorkloadNames as readonly string[]).includes(name)
}

/** The cluster figures run node processes of their own (`nats-cluster-worker.ts`); the others run in one. */
export function isNatsClusterWorkload(name: NatsWorkloadName): boolean {
  return name === 'nats-name-gone' || name.startsWith('nats-heartbeats-')
}

/** `floor` is the raw NATS client (publish, request); `troupe` is nodes started with `start({ nats })`. */
export type NatsSubjectName = 'floor' | 'troupe'

/**
 * tells: count tells; ask and request: count sequential round trips; name-gone: count kills;
 * heartbeats: `actors` nodes, counted over `count` ms.
 */
const fullParams: Record<NatsWorkloadName, Params> = {
  'nats-tells': { count: 500_000 },
  'nats-ask': { count: 10_000 },
  'nats-request': { count: 10_000 },
  'nats-name-gone': { count: 100 },
  'nats-heartbeats-3': { count: 5_000, actors: 3 },
  'nats-heartbeats-10': { count: 5_000, actors: 10 },
  'nats-heartbeats-30': { count: 5_000, actors: 30 },
}

const tinyParams: Record<NatsWorkloadName, Params> = {
  'nats-tells': { count: 1_000 },
  'nats-ask': { count: 100 },
  'nats-request': { count: 100 },
  'nats-name-gone': { count: 5 },
  'nats-heartbeats-3': { count: 1_000, actors: 3 },
  'nats-heartbeats-10': { count: 1_000, actors: 10 },
  'nats-heartbeats-30': { count: 1_000, actors: 30 },
}

export function natsParamsFor(workload: NatsWorkloadName, size: SizeName): Params {
  return (size === 'full' ? fullParams : tinyParams)[workload]
}

/** About one tell's envelope (`{ to, kind, message: { type: 'inc', by: 1 } }`) in msgpack. */
export const payloadBytes = 48

/** What `nats-request` sends, as JSON on the raw side and as the service's argument on Troupe's. */
export const requestPayload = { id: 17, item: 'widget', qty: 3 }

/** nats-request also runs `parallelScale` times its count of requests with this many in flight. */
export const requestsInFlight = 1_000
export const parallelScale = 10

export const natsCookie = 'bench-nats-cookie-0123456789'

/** The kills run with the defaults of a node on NATS: 250 ms heartbeats, declared down after 1 s of silence. */
export const nameGoneLiveness = { heartbeatIntervalMs: 250, heartbeatTimeoutMs: 1_000 }

/**
 * The heartbeat figures beat every 100 ms, so that a window holds many intervals; the timeout stays
 * at 1 s so that a member starved on a loaded machine is not declared down and rejoin mid-window.
 */
export const heartbeatLiveness = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1_000 }

/** One NATS job, as run.ts passes it to `nats-worker.ts` or `nats-cluster-worker.ts`. */
export interface NatsJob {
  subject: NatsSubjectName
  workload: NatsWorkloadName
  /** The server run.ts started. */
  url: string
  /** This job's subject prefix (and the names of its buckets). */
  prefix: string
  /** Whether node processes the job starts load Troupe's sources (through tsx) rather than dist/. */
  source: boolean
  params: Params
  warmup: Params | null
  repeatBelowMs: number
  maxRuns: number
  timeoutMs: number
}

/** What a member process (`nats-member.mjs`) is told, as JSON in its argv. */
export interface MemberSpec {
  node: string
  url: string
  prefix: string
  cookie: string
  heartbeatIntervalMs: number
  heartbeatTimeoutMs: number
  /** A name to hold an actor under, if any. */
  name?: string
}

/** One measured run of a NATS figure. */
export interface NatsRun {
  ms: number
  /** request: the parallel requests' time. */
  parallelMs?: number
  /** name-gone: per kill, ms from the SIGKILL until `findActor` no longer found the name. */
  goneMs?: number[]
  /** name-gone: per kill, ms from the SIGKILL until the watch of the actor ended with node-down. */
  terminatedMs?: number[]
  /** heartbeats: messages counted in the window, by kind (`heartbeats`, `prefix`, `$JS`, `$KV`, `_INBOX`, `other`). */
  counts?: Record<string, number>
}
