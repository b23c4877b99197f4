/**
 * The `troupe/flow` figures' lines. `flow-pipeline`'s floor is 4 plain actors passing messages
 * on with `tell`; `flow-fanout`'s is the same graph with 1 sink instead of 4; `flow-http`'s is a
 * plain fastify handler doing the same 4 stages inline.
 */
import { count, type Figure, type Outcome, rate, ratio, significant } from './figure.ts'
import { type FlowWorkloadName, fanoutRecords, fanoutTextLength, fanoutWires, stages } from './flow.ts'
import type { Params } from './workloads.ts'

/** The best p99 of an outcome's runs, in ms. */
const p99 = (outcome: Outcome | undefined): number | undefined =>
  outcome?.ok ? Math.min(...outcome.runs.map((run) => run.p99Ms ?? Number.NaN)) : undefined

export const flowFigures: Figure[] = [
  {
    name: 'flow-pipeline',
    workload: 'flow-pipeline',
    better: 'higher',
    value: (run, params) => params.count / (run.ms / 1_000),
    format: (perSec) => rate(perSec).replace('msg/s', 'events/s'),
    target: { text: 'none', met: () => undefined },
  },
  {
    name: 'flow-fanout',
    workload: 'flow-fanout',
    better: 'lower',
    value: (run, params) => (run.ms * 1_000) / params.count,
    format: (us) => `${significant(us)} us an event`,
    target: {
      text: `<= 1.1x floor (${fanoutWires.troupe} sinks vs ${fanoutWires.floor})`,
      met: (_v, r) => r <= 1.1,
    },
  },
  httpFigure('flow-http'),
  httpFigure('gateway-ask'),
]

export function describeFlow(workload: FlowWorkloadName, params: Params): string {
  switch (workload) {
    case 'flow-pipeline':
      return `${count(params.count)} events through ${stages.length} Transforms (floor: ${stages.length} actors and tell)`
    case 'flow-fanout':
      return (
        `${count(params.count)} events of ${count(fanoutRecords)} records with a ${fanoutTextLength}-character text ` +
        `(about 1 MiB as JSON), to ${fanoutWires.troupe} sinks (floor: ${fanoutWires.floor})`
      )
    case 'flow-http':
      return (
        `${significant(params.count / 1_000)} s of POSTs from ${count(params.actors ?? 0)} connections (autocannon, ` +
        `pipelining 1, its own process) through Http and ${stages.length} Transforms (floor: fastify, the stages inline)`
      )
    case 'gateway-ask':
      return (
        `${significant(params.count / 1_000)} s of POST ?ask=1 from ${count(params.actors ?? 0)} connections (autocannon, ` +
        `pipelining 1, its own process) through the gateway to an actor (floor: a fastify route asking the same actor)`
      )
  }
}

/** A figure of requests per second under autocannon, against fastify, with both p99s in its note. */
function httpFigure(workload: 'flow-http' | 'gateway-ask'): Figure {
  return {
    name: workload,
    workload,
    better: 'higher',
    value: (run) => run.requestsPerSec ?? Number.NaN,
    format: (perSec) => rate(perSec).replace('msg/s', 'req/s'),
    target: { text: '>= 0.7x floor', met: (_v, r) => r >= 0.7 },
    note(troupe, floor) {
      const [t, f] = [p99(troupe), p99(floor)]
      if (t === undefined || f === undefined) return ''
      return `; p99 ${significant(t)} ms, fastify ${significant(f)} ms (${ratio(t / f)} fastify)`
    },
  }
}
