/**
 * The workloads every subject (the plain-Node floor, Troupe, nact) implements, their sizes,
 * and the result each must produce. A subject only builds the actors; the worker times them.
 */

/** A prepared run: everything is set up, `run` is the timed part, `close` tears down untimed. */
export interface Trial {
  /** Runs the workload to completion and returns the number the workload promises (see `expected`). */
  run(): Promise<number>
  close(): Promise<void>
}

/** One implementation of every workload. Each method prepares a trial without running it. */
export interface Subject {
  /** Skynet: a tree of actors, 10 children each, down to `leaves` leaves; resolves with the sum of 0..leaves-1. */
  skynet(leaves: number): Promise<Trial>
  /** A ring of `actors` passing one token `hops` times; resolves with the hops made. */
  ring(actors: number, hops: number): Promise<Trial>
  /** Two actors exchanging `roundTrips` ping-pong pairs; resolves with the round trips made. */
  pingPong(roundTrips: number): Promise<Trial>
  /** `messages` tells to one actor, which checks their order; resolves with the count handled in order. */
  burst(messages: number): Promise<Trial>
  /** `requests` sequential asks of one actor replying `i + 1`; resolves with the sum of the replies. */
  ask(requests: number): Promise<Trial>
  /** Spawns `actors` idle actors, kept reachable until `close`; resolves with the count that answered. */
  spawn(actors: number): Promise<Trial>
}

export type SubjectName = 'floor' | 'troupe' | 'nact'
export const subjectNames: readonly SubjectName[] = ['floor', 'troupe', 'nact']

export type WorkloadName = 'skynet' | 'ring' | 'ping-pong' | 'burst' | 'ask' | 'spawn'
export const workloadNames: readonly WorkloadName[] = ['skynet', 'ring', 'ping-pong', 'burst', 'ask', 'spawn']

export type SizeName = 'tiny' | 'full'

/** The parameters of one workload run: `count` is the main size, `actors` the ring's size. */
export interface Params {
  count: number
  actors?: number
}

const fullParams: Record<WorkloadName, Params> = {
  skynet: { count: 1_000_000 },
  ring: { count: 1_000_000, actors: 1_000 },
  'ping-pong': { count: 1_000_000 },
  burst: { count: 1_000_000 },
  ask: { count: 200_000 },
  spawn: { count: 100_000 },
}

/** About 1/1000 of the full sizes: enough to prove every workload still works, in a couple of seconds. */
const tinyParams: Record<WorkloadName, Params> = {
  skynet: { count: 1_000 },
  ring: { count: 1_000, actors: 100 },
  'ping-pong': { count: 1_000 },
  burst: { count: 1_000 },
  ask: { count: 200 },
  // Heap per actor needs enough actors to stand above the GC's noise, even at this size.
  spawn: { count: 10_000 },
}

export function paramsFor(workload: WorkloadName, size: SizeName): Params {
  return (size === 'full' ? fullParams : tinyParams)[workload]
}

/** A smaller run of the same workload, for warming up the JIT or for capping a slow peer. */
export function scaleDown(workload: WorkloadName, params: Params, factor: number): Params {
  const count = Math.max(1, Math.round(params.count / factor))
  if (workload === 'skynet') return { count: 10 ** Math.max(1, Math.round(Math.log10(count))) }
  return { ...params, count }
}

/** The number of actors a skynet of `leaves` leaves spawns: 1 + 10 + ... + leaves. */
export function skynetActors(leaves: number): number {
  let total = 0
  for (let level = 1; level <= leaves; level *= 10) total += level
  return total
}

export function expected(workload: WorkloadName, params: Params): number {
  const n = params.count
  switch (workload) {
    case 'skynet':
      return (n * (n - 1)) / 2
    case 'ask':
      return (n * (n + 1)) / 2
    default:
      return n
  }
}

export function assertSkynetSize(leaves: number): void {
  if (!Number.isInteger(Math.log10(leaves)) || leaves < 10) {
    throw new Error(`skynet needs a power of 10 leaves (at least 10), got ${leaves}`)
  }
}
