/**
 * What run.ts and the figure tables share: a figure's shape, what a subject's measurement gave
 * (`Outcome`), and how values print.
 */
import type { ChildRun, ChildWorkloadName } from './child-nodes.ts'
import type { DashboardRun, DashboardWorkloadName } from './dashboard-figures.ts'
import type { FlowRun, FlowWorkloadName } from './flow.ts'
import type { MajordomoRun, MajordomoWorkloadName } from './majordomo-figures.ts'
import type { NatsRun, NatsWorkloadName } from './nats.ts'
import type { RemoteWorkloadName } from './remote.ts'
import type { RemoteRun } from './remote-worker.ts'
import type { Params, WorkloadName } from './workloads.ts'

export interface Target {
  text: string
  /** Whether the figure meets the target; `undefined` when there is no target to meet. */
  met(value: number, ratioToFloor: number): boolean | undefined
}

export type Run = RemoteRun & ChildRun & NatsRun & FlowRun & MajordomoRun & DashboardRun
export type AnyWorkload =
  | WorkloadName
  | RemoteWorkloadName
  | ChildWorkloadName
  | NatsWorkloadName
  | FlowWorkloadName
  | MajordomoWorkloadName
  | DashboardWorkloadName

/** A ratio base that is no measured floor: a configured or ideal value, named in the line. */
export interface Base {
  value: number
  /** Printed in the floor's place, after `base`: what the value is. */
  text: string
}

export interface Figure {
  name: string
  workload: AnyWorkload
  better: 'lower' | 'higher'
  /**
   * Which run gives the figure: the best one (timings, whose noise only slows a run down) or the
   * median (memory, whose noise goes both ways: a run can come out near 0 B when the previous one is freed
   * during it). Of an even count, the upper middle.
   */
  pick?: 'best' | 'median'
  /** The figure from one run; `scale` extrapolates a capped run to the full size. */
  value(run: Run, params: Params, scale: number): number
  format(value: number): string
  target: Target
  /** Why the figure has no floor, printed in its place; the floor is then not run. */
  noFloor?: string
  /** The figure's ratio base when it is not a measured floor; the floor is then not run. */
  base?(params: Params): Base
  /** Appended to the size field: what else the Troupe runs measured. */
  note?(troupe: Outcome | undefined, floor: Outcome | undefined): string
}

/**
 * What one subject measured for one workload, at which size, and how much to scale it by; a
 * figure that could not run here (no `nats-server`) is `skipped`, which fails nothing.
 */
export type Outcome =
  | { ok: true; runs: Run[]; params: Params; scale: number }
  | { ok: false; error: string; detail?: string; skipped?: boolean }

export function best(figure: Figure, outcome: Outcome & { ok: true }): number {
  const values = outcome.runs.map((run) => figure.value(run, outcome.params, outcome.scale))
  if (figure.pick === 'median') return values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  return figure.better === 'lower' ? Math.min(...values) : Math.max(...values)
}

/** The run `best` took its value from. */
export function bestRun(outcome: Outcome & { ok: true }, figure: Figure): Run | undefined {
  const value = best(figure, outcome)
  return outcome.runs.find((run) => figure.value(run, outcome.params, outcome.scale) === value)
}

export function significant(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  return Number(value.toPrecision(3)).toString()
}

export function rate(perSec: number): string {
  if (perSec >= 1e6) return `${significant(perSec / 1e6)}M msg/s`
  if (perSec >= 1e3) return `${significant(perSec / 1e3)}k msg/s`
  return `${significant(perSec)} msg/s`
}

export function ratio(value: number): string {
  return `${value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : significant(value)}x`
}

export const count = (n: number): string => n.toLocaleString('en-US')
