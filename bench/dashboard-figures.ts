/**
 * The dashboard's figures: the CPU of a node with 10,000 actors under a light, steady load of
 * messages, with the dashboard mounted and one viewer following its live stream
 * (`dashboard-watched`), and with the dashboard mounted after its viewer left
 * (`dashboard-unwatched`); the floor is the same node and load with no dashboard at all.
 * `dashboard-job.ts` runs one subject; `dashboard.ts` prints all three at once by hand.
 */
import { count, type Figure, significant } from './figure.ts'
import type { Params, SizeName } from './workloads.ts'

export type DashboardWorkloadName = 'dashboard-watched' | 'dashboard-unwatched'
export const dashboardWorkloadNames: readonly DashboardWorkloadName[] = [
  'dashboard-watched',
  'dashboard-unwatched',
]

export function isDashboardWorkload(name: string): name is DashboardWorkloadName {
  return (dashboardWorkloadNames as readonly string[]).includes(name)
}

/** `floor`: the node and its load, no dashboard; `troupe`: with the dashboard (see the workloads). */
export type DashboardSubjectName = 'floor' | 'troupe'

/** The load: this many messages a second, to the actors in turn. */
export const messagesPerSecond = 1_000

/** `count` ms measured; `actors` actors (100 parents of 99 children each at full size). */
const fullParams: Params = { count: 5_000, actors: 10_000 }
const tinyParams: Params = { count: 300, actors: 1_000 }

export function dashboardParamsFor(_workload: DashboardWorkloadName, size: SizeName): Params {
  return size === 'full' ? fullParams : tinyParams
}

/** One dashboard job, as run.ts passes it to `dashboard-job.ts`. */
export interface DashboardJob {
  subject: DashboardSubjectName
  workload: DashboardWorkloadName
  params: Params
  warmup: Params | null
  repeatBelowMs: number
  maxRuns: number
  timeoutMs: number
}

/** One measured run: its length, and the CPU the process spent in it, in percent of one core. */
export interface DashboardRun {
  ms: number
  cpuPercent?: number
  /** Bytes the viewer received over the run (watched only). */
  viewerBytes?: number
}

const percent = (value: number): string => `${significant(value)}% of a core`

/** The target is an addition to the floor: met when the figure is at most `extra` points above it. */
function addedAtMost(extra: number, text: string): Figure['target'] {
  return {
    text,
    met: (value, ratioToFloor) => value - value / ratioToFloor <= extra,
  }
}

export const dashboardFigures: Figure[] = [
  {
    name: 'dashboard-watched',
    workload: 'dashboard-watched',
    better: 'lower',
    pick: 'median',
    value: (run) => run.cpuPercent ?? Number.NaN,
    format: percent,
    target: addedAtMost(2, '<= floor + 2% of a core while a viewer watches'),
  },
  {
    name: 'dashboard-unwatched',
    workload: 'dashboard-unwatched',
    better: 'lower',
    pick: 'median',
    value: (run) => run.cpuPercent ?? Number.NaN,
    format: percent,
    target: addedAtMost(0.3, '<= floor + 0.3% of a core once no viewer watches (nothing measurable)'),
  },
]

export function describeDashboard(workload: DashboardWorkloadName, params: Params): string {
  const who =
    workload === 'dashboard-watched' ? 'one SSE viewer following the live stream' : 'after its viewer left'
  return (
    `${count(params.actors ?? 0)} actors, ${count(messagesPerSecond)} msg/s, CPU over ${count(params.count)} ms ` +
    `with the dashboard mounted, ${who} (floor: no dashboard)`
  )
}
