/**
 * The NATS figures' lines: what each takes from its runs, its ratio base and target, and the
 * size field. The throughput figures have the raw client as their floor; the name-gone figure's
 * base is the configured heartbeat timeout, and the heartbeat figures' the ideal of one heartbeat
 * per node per interval.
 */
import { count, type Figure, type Outcome, type Run, rate, ratio, significant } from './figure.ts'
import {
  heartbeatLiveness,
  type NatsWorkloadName,
  nameGoneLiveness,
  parallelScale,
  requestsInFlight,
} from './nats.ts'
import type { Params } from './workloads.ts'

const perSecond = (operations: number, run: Run): number => operations / (run.ms / 1_000)

/** The value at quantile `q` (0 to 1) of `values`, nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}

const ms = (value: number): string => `${significant(value)} ms`
const onlyRun = (outcome: Outcome | undefined): Run | undefined => (outcome?.ok ? outcome.runs[0] : undefined)

/** nats-request's parallel requests, both subjects' best rate and their ratio; '' without them. */
function parallelNote(troupe: Outcome | undefined, floor: Outcome | undefined, unit: string): string {
  const best = (outcome: Outcome | undefined) =>
    outcome?.ok
      ? Math.max(
          ...outcome.runs.map(
            (run) => (outcome.params.count * parallelScale * 1_000) / (run.parallelMs ?? Number.NaN),
          ),
        )
      : Number.NaN
  const [t, f] = [best(troupe), best(floor)]
  if (!Number.isFinite(t) || !Number.isFinite(f)) return ''
  const perSec = (value: number) => rate(value).replace('msg/s', unit)
  return `; ${count(requestsInFlight)} in flight: ${perSec(t)}, raw ${perSec(f)} (${ratio(t / f)} raw)`
}

function roundTrips(name: 'nats-ask' | 'nats-request', unit: string, target: Figure['target']): Figure {
  return {
    name,
    workload: name,
    better: 'higher',
    value: (run, params) => perSecond(params.count, run),
    format: (perSec) => rate(perSec).replace('msg/s', unit),
    target,
    note(troupe, floor) {
      const us = (outcome: Outcome | undefined) =>
        outcome?.ok
          ? Math.min(...outcome.runs.map((run) => (run.ms * 1_000) / outcome.params.count))
          : undefined
      const [t, f] = [us(troupe), us(floor)]
      if (t === undefined || f === undefined) return ''
      return `; ${significant(t)} us a round trip, raw ${significant(f)} us${parallelNote(troupe, floor, unit)}`
    },
  }
}

const heartbeatFigures = ([3, 10, 30] as const).map(
  (nodes): Figure => ({
    name: `nats-heartbeats-${nodes}`,
    workload: `nats-heartbeats-${nodes}`,
    better: 'lower',
    value: (run) => perSecond(run.counts?.heartbeats ?? Number.NaN, run),
    format: (perSec) => `${significant(perSec)} msg/s`,
    base: () => ({
      value: (nodes * 1_000) / heartbeatLiveness.heartbeatIntervalMs,
      text: `${count((nodes * 1_000) / heartbeatLiveness.heartbeatIntervalMs)} msg/s (ideal: ${nodes} nodes x 1 per ${heartbeatLiveness.heartbeatIntervalMs} ms)`,
    }),
    target: { text: 'O(N): 0.8-1.2x one per node per interval', met: (_v, r) => r >= 0.8 && r <= 1.2 },
    note(troupe) {
      const run = onlyRun(troupe)
      if (run?.counts === undefined) return ''
      const beats = perSecond(run.counts.heartbeats ?? 0, run)
      const perInterval = (beats / nodes) * (heartbeatLiveness.heartbeatIntervalMs / 1_000)
      const others = Object.entries(run.counts)
        .filter(([kind]) => kind !== 'heartbeats')
        .map(([kind, n]) => `${kind} ${significant(perSecond(n, run))}`)
      const rest = Object.entries(run.counts).reduce(
        (sum, [kind, n]) => (kind === 'heartbeats' ? sum : sum + n),
        0,
      )
      return (
        `; ${significant(beats / nodes)} msg/s per node, ${significant(perInterval)} per node per interval; ` +
        `everything else on the server ${significant(perSecond(rest, run))} msg/s ` +
        `(${significant(perSecond(rest, run) / nodes)} per node: ${others.length > 0 ? others.join(', ') : 'none'})`
      )
    },
  }),
)

export const natsFigures: Figure[] = [
  {
    name: 'nats-tells',
    workload: 'nats-tells',
    better: 'higher',
    value: (run, params) => perSecond(params.count, run),
    format: rate,
    target: { text: '>= 0.7x floor', met: (_v, r) => r >= 0.7 },
  },
  roundTrips('nats-ask', 'asks/s', { text: '>= 0.7x floor', met: (_v, r) => r >= 0.7 }),
  roundTrips('nats-request', 'req/s', { text: 'none', met: () => undefined }),
  {
    name: 'nats-name-gone',
    workload: 'nats-name-gone',
    better: 'lower',
    value: (run) => quantile(run.goneMs ?? [], 0.99),
    format: (v) => `${ms(v)} p99`,
    base: () => ({
      value: nameGoneLiveness.heartbeatTimeoutMs,
      text: `${ms(nameGoneLiveness.heartbeatTimeoutMs)} (heartbeatTimeoutMs, heartbeats every ${nameGoneLiveness.heartbeatIntervalMs} ms)`,
    }),
    target: { text: 'p99 < 3 s', met: (v) => v < 3_000 },
    note(troupe) {
      const run = onlyRun(troupe)
      if (run?.goneMs === undefined || run.terminatedMs === undefined) return ''
      const gone = run.goneMs
      const ended = run.terminatedMs
      return (
        `; name gone p50 ${ms(quantile(gone, 0.5))}, max ${ms(Math.max(...gone))}; ` +
        `watch ended node-down p50 ${ms(quantile(ended, 0.5))}, p99 ${ms(quantile(ended, 0.99))}; ` +
        `${significant(run.ms / 1_000)} s in all`
      )
    },
  },
  ...heartbeatFigures,
]

export function describeNats(workload: NatsWorkloadName, params: Params): string {
  switch (workload) {
    case 'nats-tells':
      return `${count(params.count)} tells to another node over NATS vs raw publish`
    case 'nats-ask':
      return `${count(params.count)} sequential asks of another node over NATS vs raw request`
    case 'nats-request':
      return (
        `${count(params.count)} sequential system.request of another node's service vs raw request, ` +
        `then ${count(params.count * parallelScale)} with ${count(requestsInFlight)} in flight`
      )
    case 'nats-name-gone':
      return `${count(params.count)} SIGKILLs of a node process holding a name, seen by one survivor`
    default:
      return (
        `${count(params.actors ?? 0)} node processes, heartbeats every ${heartbeatLiveness.heartbeatIntervalMs} ms, ` +
        `counted on '>' over ${count(params.count)} ms`
      )
  }
}
