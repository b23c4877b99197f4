/**
 * The MajorDomo figure: requests per second through the broker to 4 echo workers, against a raw
 * ZeroMQ relay over the same processes (`majordomo-job.ts` runs both). Its workload, sizes, job
 * and line live here, beside the other figures' tables.
 */
import { count, type Figure, type Outcome, rate, ratio, significant } from './figure.ts'
import type { Params, SizeName } from './workloads.ts'

export type MajordomoWorkloadName = 'mdp-broker'
export const majordomoWorkloadNames: readonly MajordomoWorkloadName[] = ['mdp-broker']

export function isMajordomoWorkload(name: string): name is MajordomoWorkloadName {
  return (majordomoWorkloadNames as readonly string[]).includes(name)
}

/**
 * `troupe` is the MajorDomo broker, workers and client; `floor` is a raw ZeroMQ relay (a ROUTER
 * for the clients and one for the workers, passing frames on with no protocol, one request per
 * worker at a time as MDP's READY/REPLY cycle allows), raw DEALER workers and a raw DEALER
 * client, each request after a tag frame as the multiplexed MajorDomo client sends it.
 */
export type MajordomoSubjectName = 'floor' | 'troupe'

/** How the processes are laid out on the machine's 2 cores: see `majordomo-job.ts`. */
export const mdpWorkers = 4
export const mdpInFlight = 64

/** `count` requests; `actors` workers. */
const fullParams: Params = { count: 20_000, actors: mdpWorkers }
const tinyParams: Params = { count: 200, actors: mdpWorkers }

export function majordomoParamsFor(_workload: MajordomoWorkloadName, size: SizeName): Params {
  return size === 'full' ? fullParams : tinyParams
}

/** One MajorDomo job, as run.ts passes it to `majordomo-job.ts`. */
export interface MajordomoJob {
  subject: MajordomoSubjectName
  workload: MajordomoWorkloadName
  params: Params
  warmup: Params | null
  repeatBelowMs: number
  maxRuns: number
  timeoutMs: number
  /**
   * How many requests the floor's relay gives each worker at a time: 1 (the default) as MDP's
   * cycle allows, more to see what pipelining to the workers would give (`bench/majordomo.ts --credit`).
   */
  relayCredit?: number
}

/**
 * One measured run: the time `params.count` requests took, `mdpInFlight` in flight at a time,
 * and the CPU time the broker's (or relay's) process and the load process spent on them, in us a
 * request: on a shared machine the CPU a request costs moves less than the rate.
 */
export interface MajordomoRun {
  ms: number
  middleCpuUs?: number
  loadCpuUs?: number
}

/** The least CPU a request cost in the broker's process over an outcome's runs, in us. */
const middleCpu = (outcome: Outcome | undefined): number | undefined =>
  outcome?.ok ? Math.min(...outcome.runs.map((run) => run.middleCpuUs ?? Number.NaN)) : undefined

export const majordomoFigures: Figure[] = [
  {
    name: 'mdp-broker',
    workload: 'mdp-broker',
    better: 'higher',
    value: (run, params) => params.count / (run.ms / 1_000),
    format: (perSec) => rate(perSec).replace('msg/s', 'req/s'),
    target: { text: '>= 14k req/s', met: (v) => v >= 14_000 },
    note(troupe, floor) {
      const [t, f] = [middleCpu(troupe), middleCpu(floor)]
      if (t === undefined || f === undefined) return ''
      return `; CPU a request: broker ${significant(t)} us, relay ${significant(f)} us (${ratio(t / f)} relay)`
    },
  },
]

export function describeMajordomo(_workload: MajordomoWorkloadName, params: Params): string {
  return (
    `${count(params.count)} echo requests, ${mdpInFlight} in flight on one multiplexed client, to ` +
    `${count(params.actors ?? mdpWorkers)} workers; broker in a process of its own, client and workers in ` +
    'another (floor: raw ZeroMQ relay, one request a worker at a time)'
  )
}
