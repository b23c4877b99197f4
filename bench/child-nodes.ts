import type { Params, SizeName } from './workloads.ts'

/**
 * The child-node figures: a function run through a portal in a child thread or process, a stream
 * from one (its throughput, and its memory with a slow consumer), an actor spawned on a warm pooled
 * child, and CPU-bound work fanned out to 2 processes.
 */
export type ChildWorkloadName =
  | 'thread-run'
  | 'process-run'
  | 'thread-stream'
  | 'process-stream'
  | 'thread-stream-heap'
  | 'process-stream-heap'
  | 'thread-stream-heap-16k'
  | 'process-stream-heap-16k'
  | 'spawn-thread'
  | 'spawn-process'
  | 'fanout'
export const childWorkloadNames: readonly ChildWorkloadName[] = [
  'thread-run',
  'process-run',
  'thread-stream',
  'process-stream',
  'thread-stream-heap',
  'process-stream-heap',
  'thread-stream-heap-16k',
  'process-stream-heap-16k',
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

/**
 * `count`: calls, items, spawns, or the upper end of the range whose primes are counted. The
 * stream-heap figures stream `count` items, then `streamHeapScale` times as many: numbers, or
 * for the `-16k` ones items of `blockBytes`.
 */
const fullParams: Record<ChildWorkloadName, Params> = {
  'thread-run': { count: 20_000 },
  'process-run': { count: 20_000 },
  'thread-stream': { count: 1_000_000 },
  'process-stream': { count: 1_000_000 },
  'thread-stream-heap': { count: 3_000 },
  'process-stream-heap': { count: 3_000 },
  'thread-stream-heap-16k': { count: 3_000 },
  'process-stream-heap-16k': { count: 3_000 },
  'spawn-thread': { count: 5 },
  'spawn-process': { count: 5 },
  fanout: { count: 6_000_000 },
}

const tinyParams: Record<ChildWorkloadName, Params> = {
  'thread-run': { count: 200 },
  'process-run': { count: 200 },
  'thread-stream': { count: 1_000 },
  'process-stream': { count: 1_000 },
  'thread-stream-heap': { count: 100 },
  'process-stream-heap': { count: 100 },
  'thread-stream-heap-16k': { count: 100 },
  'process-stream-heap-16k': { count: 100 },
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

/** Whether a workload is a stream-heap figure, of numbers or of 16 KiB items. */
export function isStreamHeap(workload: ChildWorkloadName): boolean {
  return workload.includes('-stream-heap')
}

/**
 * The payload of an item of the `-16k` stream-heap figures: a child's turn yields a window of them
 * (16 MiB), which the frame limit (1 MiB) must cut into many frames.
 */
export const blockBytes = 16 * 1_024

/** The bytes of payload an item of `workload`'s stream carries: `undefined` for small numbers. */
export function itemBytesOf(workload: ChildWorkloadName): number | undefined {
  return workload.endsWith('-16k') ? blockBytes : undefined
}

/** The stream-heap figures stream N items, then this many times N. */
export const streamHeapScale = 10
/**
 * What the stream-heap figures' consumer spends on each item, busy: 100 times the producer's
 * time per item at 1M items/s (the streams' target), so the producer is always a window ahead.
 */
export const slowConsumerUs = 100
/** `portal.stream`'s default window, which the stream-heap figures use: the most the producer may run ahead. */
export const defaultWindow = 1_024
/** Memory probes during each stream of the stream-heap figures, evenly spaced. */
export const streamHeapProbes = 8
/** Before each stream-heap trial, this many times N items at full speed warm the JIT up. */
export const streamHeapWarmup = 100

/**
 * What a stream-heap run measured: its two streams, N items then `streamHeapScale` N. Memory is
 * `heapUsed` + `arrayBuffers` (the V8 heap, and the Buffers a transport writes and reads) after
 * full collections.
 */
export interface StreamHeap {
  items: [number, number]
  /** The consumer's (this process's) largest growth at a probe over its memory before the stream, bytes. */
  parent: [number, number]
  /** The same in the producer (the child node). */
  child: [number, number]
  /** Most items the generator had yielded and the loop not yet consumed, at any probe. */
  ahead: number
  /** Time of the larger stream, less its memory probes. */
  consumingMs: number
}

/** A child-node run: its time, and for the stream-heap figures what they measured. */
export interface ChildRun {
  ms: number
  streamHeap?: StreamHeap
}

/** Sum of the echoes, items streamed in order, replies of the spawned actors, or primes counted. */
export function childExpected(workload: ChildWorkloadName, params: Params): number {
  switch (workload) {
    case 'thread-run':
    case 'process-run':
      return (params.count * (params.count + 1)) / 2
    case 'thread-stream-heap':
    case 'process-stream-heap':
    case 'thread-stream-heap-16k':
    case 'process-stream-heap-16k':
      return params.count * (1 + streamHeapScale)
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
