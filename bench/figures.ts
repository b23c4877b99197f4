/**
 * Every figure run.ts prints: which workload gives it, how its value is taken from a run and
 * printed, its target, and the size field (`describe`). The NATS figures' own table is
 * `nats-figures.ts`.
 */
import { blockBytes, defaultWindow, type StreamHeap, slowConsumerUs, streamHeapScale } from './child-nodes.ts'
import { dashboardFigures, describeDashboard, isDashboardWorkload } from './dashboard-figures.ts'
import {
  type AnyWorkload,
  bestRun,
  count,
  type Figure,
  type Outcome,
  type Run,
  rate,
  ratio,
  significant,
} from './figure.ts'
import { isFlowWorkload } from './flow.ts'
import { describeFlow, flowFigures } from './flow-figures.ts'
import { describeMajordomo, isMajordomoWorkload, majordomoFigures } from './majordomo-figures.ts'
import { isNatsWorkload } from './nats.ts'
import { describeNats, natsFigures } from './nats-figures.ts'
import { type Params, skynetActors } from './workloads.ts'

const seconds = (run: Run): number => run.ms / 1_000
const perSecond = (messages: number, run: Run): number => messages / seconds(run)

export const figures: Figure[] = [
  {
    name: 'skynet',
    workload: 'skynet',
    better: 'lower',
    value: (run, _params, scale) => seconds(run) * scale,
    format: (s) => `${significant(s)} s`,
    target: { text: '<= 1.5x floor', met: (_v, ratio) => ratio <= 1.5 },
  },
  {
    name: 'ring',
    workload: 'ring',
    better: 'higher',
    value: (run, params) => perSecond(params.count, run),
    format: rate,
    target: { text: '>= 8M msg/s and >= 0.6x floor', met: (v, ratio) => v >= 8e6 && ratio >= 0.6 },
  },
  {
    name: 'ping-pong',
    workload: 'ping-pong',
    better: 'higher',
    value: (run, params) => perSecond(2 * params.count, run),
    format: rate,
    target: { text: '>= 10M msg/s', met: (v) => v >= 10e6 },
  },
  {
    name: 'burst',
    workload: 'burst',
    better: 'higher',
    value: (run, params) => perSecond(params.count, run),
    format: rate,
    target: { text: '>= 15M msg/s', met: (v) => v >= 15e6 },
  },
  {
    name: 'ask',
    workload: 'ask',
    better: 'lower',
    value: (run, params) => (run.ms * 1_000) / params.count,
    format: (us) => `${significant(us)} us`,
    target: { text: '<= 1 us', met: (v) => v <= 1 },
  },
  {
    name: 'spawn',
    workload: 'spawn',
    better: 'lower',
    value: (run, params) => (run.ms * 1_000) / params.count,
    format: (us) => `${significant(us)} us`,
    target: { text: '<= 0.5 us', met: (v) => v <= 0.5 },
  },
  {
    name: 'spawn-heap',
    workload: 'spawn',
    better: 'lower',
    pick: 'median',
    value: (run) => run.heapBytesPerActor ?? Number.NaN,
    format: (bytes) => `${Math.round(bytes)} B`,
    target: { text: '<= 400 B', met: (v) => v <= 400 },
  },
  {
    name: 'remote-ping-pong',
    workload: 'remote-ping-pong',
    better: 'lower',
    value: (run, params) => (run.ms * 1_000) / params.count,
    format: (us) => `${significant(us)} us`,
    target: { text: '<= 1.3x floor', met: (_v, ratio) => ratio <= 1.3 },
  },
  {
    name: 'remote-tells',
    workload: 'remote-tells',
    better: 'higher',
    value: (run, params) => perSecond(params.count, run),
    format: rate,
    target: { text: '>= 1M msg/s', met: (v) => v >= 1e6 },
  },
  {
    name: 'remote-ping-pong-sealed',
    workload: 'remote-ping-pong-sealed',
    better: 'lower',
    value: (run, params) => (run.ms * 1_000) / params.count,
    format: (us) => `${significant(us)} us`,
    target: { text: '<= 1.3x floor', met: (_v, ratio) => ratio <= 1.3 },
  },
  {
    name: 'remote-tells-sealed',
    workload: 'remote-tells-sealed',
    better: 'higher',
    value: (run, params) => perSecond(params.count, run),
    format: rate,
    target: { text: '>= 1M msg/s', met: (v) => v >= 1e6 },
  },
  {
    name: 'remote-ask',
    workload: 'remote-ask',
    better: 'lower',
    value: (run, params) => (run.ms * 1_000) / params.count,
    format: (us) => `${significant(us)} us`,
    target: { text: 'none', met: () => undefined },
    note(troupe) {
      if (!troupe?.ok) return ''
      const local = Math.min(...troupe.runs.map((run) => run.localMs ?? Number.NaN))
      if (!Number.isFinite(local)) return ''
      const localUs = (local * 1_000) / troupe.params.count
      const remoteUs = Math.min(...troupe.runs.map((run) => (run.ms * 1_000) / troupe.params.count))
      return `; local ask ${significant(localUs)} us in the same worker, remote ${ratio(remoteUs / localUs)} local`
    },
  },
  ...(['thread', 'process'] as const).map(
    (kind): Figure => ({
      name: `${kind}-run`,
      workload: `${kind}-run`,
      better: 'lower',
      value: (run, params) => (run.ms * 1_000) / params.count,
      format: (us) => `${significant(us)} us`,
      target: { text: '<= 1.3x floor', met: (_v, ratio) => ratio <= 1.3 },
    }),
  ),
  ...(['thread', 'process'] as const).map(
    (kind): Figure => ({
      name: `${kind}-stream`,
      workload: `${kind}-stream`,
      better: 'higher',
      value: (run, params) => perSecond(params.count, run),
      format: (perSec) => rate(perSec).replace('msg/s', 'items/s'),
      target: { text: '>= 1M items/s', met: (v) => v >= 1e6 },
    }),
  ),
  ...(
    [
      ['thread', 'Worker', ''],
      ['process', 'fork', ''],
      ['thread', 'Worker', '-16k'],
      ['process', 'fork', '-16k'],
    ] as const
  ).map(
    ([kind, raw, items]): Figure => ({
      name: `${kind}-stream-heap${items}`,
      workload: `${kind}-stream-heap${items}`,
      better: 'lower',
      // The memory a side holds at 10N items over that at N, the larger of the two sides: 1x is
      // flat, a cost per item reads up to 10x. A growth below 1 KB counts as 1 KB below the line,
      // and a shrinking as none above it, so that noise around zero reads neither negative nor flat.
      value: (run) => {
        const heap = run.streamHeap
        if (heap === undefined) return Number.NaN
        const side = ([n, tenN]: [number, number]) => Math.max(0, tenN) / Math.max(1_024, n)
        return Math.max(side(heap.parent), side(heap.child))
      },
      format: (v) => `${ratio(v)} growth from N to 10N`,
      target: { text: 'flat: <= 2x growth from N to 10N items on each side', met: (v) => v <= 2 },
      noFloor: `n/a (a bare ${raw} has no flow control to compare)`,
      note(troupe) {
        if (!troupe?.ok) return ''
        const heap = bestRun(troupe, this)?.streamHeap
        return heap === undefined ? '' : streamHeapNote(heap)
      },
    }),
  ),
  ...(
    [
      ['thread', 15],
      ['process', 50],
    ] as const
  ).map(
    ([kind, ms]): Figure => ({
      name: `spawn-${kind}`,
      workload: `spawn-${kind}`,
      better: 'lower',
      value: (run, params) => run.ms / params.count,
      format: (v) => `${significant(v)} ms`,
      target: { text: `<= ${ms} ms`, met: (v) => v <= ms },
    }),
  ),
  {
    name: 'fanout',
    workload: 'fanout',
    better: 'lower',
    value: (run) => run.ms,
    format: (ms) => `${significant(ms)} ms`,
    // The floor is the same work in one process: a speed-up of 1.7x or more is a ratio of 1/1.7 or less.
    target: { text: '>= 1.7x speed-up on 2 cores', met: (_v, ratio) => ratio <= 1 / 1.7 },
    note(troupe, floor) {
      if (!troupe?.ok || !floor?.ok) return ''
      const fastest = (outcome: Outcome & { ok: true }) => Math.min(...outcome.runs.map((run) => run.ms))
      return `; speed-up ${ratio(fastest(floor) / fastest(troupe))} over 1 process`
    },
  },
  ...natsFigures,
  ...flowFigures,
  ...majordomoFigures,
  ...dashboardFigures,
]

function kilobytes(bytes: number): string {
  const kb = bytes / 1_024
  return `${kb >= 0 ? '+' : ''}${significant(kb)} KB`
}

/** The stream-heap line's end: each side's growth at N and 10N, how far the producer ran ahead. */
function streamHeapNote(heap: StreamHeap): string {
  const extra = heap.items[1] - heap.items[0]
  const side = (name: string, [n, tenN]: [number, number]): string =>
    `${name} ${kilobytes(n)} / ${kilobytes(tenN)} (${ratio(tenN / n)}, ${significant((tenN - n) / extra)} B an extra item)`
  const rate = rateOf(heap.items[1], heap.consumingMs).replace('msg/s', 'items/s')
  return (
    `; growth at ${count(heap.items[0])} / ${count(heap.items[1])} items: ` +
    `${side('parent (consumer)', heap.parent)}, ${side('child (producer)', heap.child)}; ` +
    `producer ahead at most ${count(heap.ahead)} items (window ${count(defaultWindow)}); consumer ${rate}`
  )
}

const rateOf = (items: number, ms: number): string => rate((items * 1_000) / ms)

export function describe(workload: AnyWorkload, params: Params): string {
  if (isNatsWorkload(workload)) return describeNats(workload, params)
  if (isFlowWorkload(workload)) return describeFlow(workload, params)
  if (isMajordomoWorkload(workload)) return describeMajordomo(workload, params)
  if (isDashboardWorkload(workload)) return describeDashboard(workload, params)
  switch (workload) {
    case 'remote-ping-pong':
      return `${count(params.count)} round trips between two processes`
    case 'remote-tells':
      return `${count(params.count)} tells to another process`
    case 'remote-ask':
      return `${count(params.count)} sequential asks of another process`
    case 'remote-ping-pong-sealed':
      return `${count(params.count)} round trips between two processes, frames sealed (frameAuth)`
    case 'remote-tells-sealed':
      return `${count(params.count)} tells to another process, frames sealed (frameAuth)`
    case 'skynet':
      return `${count(skynetActors(params.count))} actors, ${count(params.count)} leaves`
    case 'ring':
      return `${count(params.actors ?? 0)} actors x ${count(params.count)} hops`
    case 'ping-pong':
      return `${count(params.count)} round trips`
    case 'burst':
      return `${count(params.count)} tells`
    case 'ask':
      return `${count(params.count)} sequential asks`
    case 'spawn':
      return `${count(params.count)} idle actors`
    case 'thread-run':
    case 'process-run':
      return `${count(params.count)} sequential portal.run of a child ${workload.split('-')[0]}`
    case 'thread-stream':
    case 'process-stream':
      return `${count(params.count)} items streamed from a child ${workload.split('-')[0]}`
    case 'thread-stream-heap':
    case 'process-stream-heap':
    case 'thread-stream-heap-16k':
    case 'process-stream-heap-16k':
      return (
        `${count(params.count)} then ${count(params.count * streamHeapScale)} ` +
        `${workload.endsWith('-16k') ? `items of ${blockBytes / 1_024} KiB` : 'items'} from a child ` +
        `${workload.split('-')[0]} to a consumer busy ${slowConsumerUs} us an item, default window`
      )
    case 'spawn-thread':
    case 'spawn-process':
      return `${count(params.count)} spawns on a warm pooled child ${workload.split('-')[1]}`
    case 'fanout':
      return `primes below ${count(params.count)} over 2 child processes vs 1 process`
  }
}
