/**
 * One subject's one workload in a fresh process, so that the JIT and heap state of one subject
 * never pollute another's. Forked by run.ts with the job as its argument; answers with one
 * `WorkerReport` over IPC and exits.
 */
import { performance } from 'node:perf_hooks'
import { type JobReport, runJob } from './job-runner.ts'
import {
  expected,
  type Params,
  type Subject,
  type SubjectName,
  type Trial,
  type WorkloadName,
} from './workloads.ts'

export interface Job {
  subject: SubjectName
  workload: WorkloadName
  params: Params
  /** A smaller run before measuring, or null to measure cold. */
  warmup: Params | null
  /** Measure again, up to `maxRuns` in all, while the first run took less than this. */
  repeatBelowMs: number
  maxRuns: number
  /** The worker gives up (and reports a failure) after this long. */
  timeoutMs: number
}

export interface Run {
  ms: number
  /** Heap growth per actor with the actors reachable, after full collections (spawn only). */
  heapBytesPerActor?: number
}

export type WorkerReport = JobReport<Run>

async function load(name: SubjectName): Promise<Subject> {
  switch (name) {
    case 'floor':
      return (await import('./floor.ts')).floor
    case 'nact':
      return (await import('./nact-peer.ts')).nactPeer
    case 'troupe':
      return (await import('./troupe.ts')).troupe
  }
}

function prepare(subject: Subject, workload: WorkloadName, params: Params): Promise<Trial> {
  switch (workload) {
    case 'skynet':
      return subject.skynet(params.count)
    case 'ring':
      return subject.ring(params.actors ?? 1_000, params.count)
    case 'ping-pong':
      return subject.pingPong(params.count)
    case 'burst':
      return subject.burst(params.count)
    case 'ask':
      return subject.ask(params.count)
    case 'spawn':
      return subject.spawn(params.count)
  }
}

function collect(): void {
  if (!globalThis.gc) throw new Error('run the worker with --expose-gc')
  globalThis.gc()
  globalThis.gc()
}

async function measure(job: Job, subject: Subject, params: Params): Promise<Run> {
  const trial = await prepare(subject, job.workload, params)
  collect()
  const heapBefore = process.memoryUsage().heapUsed
  const started = performance.now()
  const result = await trial.run()
  const ms = performance.now() - started
  const run: Run = { ms }
  if (job.workload === 'spawn') {
    collect()
    run.heapBytesPerActor = (process.memoryUsage().heapUsed - heapBefore) / params.count
  }
  await trial.close()
  const want = expected(job.workload, params)
  if (result !== want) {
    throw new Error(`${job.workload} on ${job.subject} gave ${result}, expected ${want}`)
  }
  return run
}

async function main(job: Job): Promise<Run[]> {
  const subject = await load(job.subject)
  if (job.warmup) await measure(job, subject, job.warmup)
  const runs = [await measure(job, subject, job.params)]
  while (runs.length < job.maxRuns && runs[0]!.ms < job.repeatBelowMs) {
    collect()
    runs.push(await measure(job, subject, job.params))
  }
  return runs
}

runJob<Job, Run>('worker.ts', main)
