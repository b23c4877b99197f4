import type { Params, SizeName } from './workloads.ts'

/**
 * The child-node figures: a function run through a portal in a child thread or process, a stream
 * from one, an actor spawned on a warm pooled child, and CPU-bound work fanned out to 2 processes.
 */
export type ChildWorkloadName =
  | 'thread-run'
  | 'process-run'
  | 'thread-stream'
  | 'process-stream'
  | 'spawn-thread'
  | 'spawn-process'
  | 'fanout'
export const childWorkloadNames: readonly ChildWorkloadName[] = [
  'thread-run',
  'process-run',
  'thread-stream',
  'process-stream',
  'spawn-thread',
  'spawn-process',
  'fanout',
]

/**
 * `floor` is the raw channel (a bare Worker with a MessagePort echo, a bare fork with an IPC echo)
 * or, for `fanout`, the same work in one process; `troupe` is a child node behind a portal.
 */
export type ChildSubjectName = 'floor' | 'troupe'

export function isChildWorkload(name: string): name is ChildWorkloadName {
  return (childWorkloadNames as readonly string[]).includes(name)
}

/** `count`: calls, items, spawns, or the upper end of the range whose primes are counted. */
const fullParams: Record<ChildWorkloadName, Params> = {
  'thread-run': { count: 20_000 },
  'process-run': { count: 20_000 },
  'thread-stream': { count: 1_000_000 },
  'process-stream': { count: 1_000_000 },
  'spawn-thread': { count: 5 },
  'spawn-process': { count: 5 },
  fanout: { count: 6_000_000 },
}

const tinyParams: Record<ChildWorkloadName, Params> = {
  'thread-run': { count: 200 },
  'process-run': { count: 200 },
  'thread-stream': { count: 1_000 },
  'process-stream': { count: 1_000 },
  'spawn-thread': { count: 1 },
  'spawn-process': { count: 1 },
  fanout: { count: 20_000 },
}

export function childParamsFor(workload: ChildWorkloadName, size: SizeName): Params {
  return (size === 'full' ? fullParams : tinyParams)[workload]
}

/** Where a workload's child runs. */
export function childKind(workload: ChildWorkloadName): 'thread' | 'process' {
  return workload.includes('thread') ? 'thread' : 'process'
}

/** The number of primes below `n`, by a sieve (to check the fan-out's trial division). */
export function primesBelow(n: number): number {
  const composite = new Uint8Array(n)
  let found = 0
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue
    found++
    for (let j = i * i; j < n; j += i) composite[j] = 1
  }
  return found
}

/** Sum of the echoes, items streamed in order, replies of the spawned actors, or primes counted. */
export function childExpected(workload: ChildWorkloadName, params: Params): number {
  switch (workload) {
    case 'thread-run':
    case 'process-run':
      return (params.count * (params.count + 1)) / 2
    case 'fanout':
      return primesBelow(params.count)
    default:
      return params.count
  }
}

/** One child-node job, as run.ts passes it to `child-worker.ts`. */
export interface ChildJob {
  subject: ChildSubjectName
  workload: ChildWorkloadName
  params: Params
  warmup: Params | null
  repeatBelowMs: number
  maxRuns: number
  timeoutMs: number
}
