/**
 * One `troupe/flow` figure on one subject, in a fresh process: forked by run.ts with a `FlowJob`,
 * it answers with one `WorkerReport` over IPC and exits.
 *
 *   flow-pipeline  floor: 4 plain actors passing each message on with `tell`, to a counting actor;
 *                  troupe: a source component, 4 `Transform`s and a counting sink in a director
 *   flow-fanout    a source emitting events of about 1 MiB to 1 sink (floor) or 4 (troupe)
 *   flow-http      autocannon, in this process, against a server in a process of its own
 *   gateway-ask    the same, against the gateway (or a plain fastify route) asking an actor
 *                  (`flow-server.ts`): a plain fastify handler (floor) or Http and 4 Transforms
 *
 * The in-process figures time as `worker.ts` does (a warm-up at 1/10, then up to 3 runs while
 * under 2 s, best reported; building the graph is not timed). Every system runs with
 * `messages: 'freeze'` (the default outside production), so every send freezes what it sends.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { type ActorSystem, defineActor, type Ref, start } from 'troupe'
import { type ComponentContext, createEvent, defineComponent, director, Transform } from 'troupe/flow'
import {
  type FlowJob,
  type FlowRun,
  type FlowServerReady,
  fanoutPayload,
  fanoutRecords,
  fanoutWires,
  httpAnswer,
  httpBody,
  pipelineExpected,
  stages,
  type Work,
} from './flow.ts'
import { collect, runJob, timedRuns } from './job-runner.ts'
import type { Params, Trial } from './workloads.ts'

const startSystem = (): Promise<ActorSystem> => start({ messages: 'freeze', logLevel: 'silent' })

/** A promise and the function that resolves it. */
function completion(): { promise: Promise<number>; resolve: (value: number) => void } {
  let resolve: (value: number) => void = () => {}
  const promise = new Promise<number>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/**
 * A graph of a source, `middle` (connected in a line after it) and `sinks` counting sinks after
 * the last; `run` emits `count` events made by `make` and resolves with what the sinks summed.
 */
async function graphTrial(
  count: number,
  middle: number,
  sinks: number,
  make: (i: number) => unknown,
  weigh: (data: unknown) => number,
): Promise<Trial> {
  const system = await startSystem()
  const flow = director(system)
  let source: ComponentContext | undefined
  flow.add(
    'source',
    defineComponent({
      type: 'Source',
      source: true,
      start(ctx) {
        source = ctx
      },
    }),
  )
  let last = 'source'
  for (let i = 0; i < middle; i++) {
    flow.add(`stage${i}`, Transform(stages[i]!))
    flow.connect(last, `stage${i}`)
    last = `stage${i}`
  }
  const done = completion()
  let seen = 0
  let sum = 0
  const names = Array.from({ length: sinks }, (_, i) => `sink${i}`)
  for (const name of names) {
    flow.add(
      name,
      defineComponent({
        type: 'Sink',
        receive(event) {
          sum += weigh(event.data)
          if (++seen === count * sinks) done.resolve(sum)
        },
      }),
    )
  }
  flow.connect(last, names)
  await flow.start()
  return {
    async run() {
      for (let i = 0; i < count; i++) await source!.emit(createEvent(make(i)))
      return done.promise
    },
    async close() {
      await flow.stop()
      await system.shutdown()
    },
  }
}

/** The pipeline's floor: 4 actors applying the stages and telling the next, then a summing actor. */
interface StageProps {
  readonly stage: (data: Work) => Work
  readonly next: Ref<Work>
}
const Stage = defineActor<Work, StageProps, StageProps>({
  init: (props) => props,
  receive(state, message) {
    state.next.tell(state.stage(message))
    return state
  },
})
interface SumProps {
  readonly count: number
  readonly done: (sum: number) => void
}
const Sum = defineActor<Work, SumProps & { seen: number; sum: number }, SumProps>({
  init: (props) => ({ ...props, seen: 0, sum: 0 }),
  receive(state, message) {
    state.sum += message.n
    if (++state.seen === state.count) state.done(state.sum)
    return state
  },
})

async function actorsTrial(count: number): Promise<Trial> {
  const system = await startSystem()
  const done = completion()
  let next: Ref<Work> = system.spawn(Sum, { props: { count, done: done.resolve } })
  for (const stage of [...stages].reverse()) next = system.spawn(Stage, { props: { stage, next } })
  const first = next
  return {
    async run() {
      for (let i = 0; i < count; i++) first.tell({ n: i })
      return done.promise
    },
    close: () => system.shutdown(),
  }
}

const weighWork = (data: unknown): number => (data as Work).n
/** A fan-out sink counts an event whose records all came. */
const weighRecords = (data: unknown): number =>
  (data as ReturnType<typeof fanoutPayload>).records.length === fanoutRecords ? 1 : 0

async function inProcess(job: FlowJob, params: Params): Promise<FlowRun> {
  const pipeline = job.workload === 'flow-pipeline'
  const trial = pipeline
    ? job.subject === 'floor'
      ? await actorsTrial(params.count)
      : await graphTrial(params.count, stages.length, 1, (i) => ({ n: i }), weighWork)
    : await graphTrial(params.count, 0, fanoutWires[job.subject], fanoutPayload, weighRecords)
  collect()
  const started = performance.now()
  let result: number
  try {
    result = await trial.run()
  } finally {
    await trial.close()
  }
  const ms = performance.now() - started
  const want = pipeline ? pipelineExpected(params.count) : params.count * fanoutWires[job.subject]
  if (result !== want) throw new Error(`${job.workload} on ${job.subject} gave ${result}, expected ${want}`)
  return { ms }
}

// ---- flow-http ----

let server: ChildProcess | undefined
const killServer = (): void => {
  if (server?.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
}

/** Forks the server (with this process's flags: tsx, and `--conditions=source` from the sources). */
function startServer(job: FlowJob): Promise<FlowServerReady> {
  const child = fork(new URL('./flow-server.ts', import.meta.url), [job.subject, job.workload], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  server = child
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the server exited (${signal ?? `code ${code}`})`)))
    child.once('message', (message) => resolve(message as FlowServerReady))
  })
}

async function load(url: string, headers: Record<string, string>, params: Params): Promise<FlowRun> {
  collect()
  const result = await autocannon({
    url,
    method: 'POST',
    headers,
    body: JSON.stringify(httpBody),
    connections: params.actors ?? 50,
    pipelining: 1,
    duration: params.count / 1_000,
  })
  const bad = result.errors + result.timeouts + result.non2xx
  if (bad > 0)
    throw new Error(
      `${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts in ${result.requests.total} requests`,
    )
  return {
    ms: result.duration * 1_000,
    requestsPerSec: result.requests.total / result.duration,
    p99Ms: result.latency.p99,
  }
}

async function overHttp(job: FlowJob): Promise<FlowRun[]> {
  const { port, path, headers } = await startServer(job)
  const url = `http://127.0.0.1:${port}${path}`
  const answer = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(httpBody),
  })
  const text = await answer.text()
  if (text !== httpAnswer)
    throw new Error(`the server answered ${answer.status} ${text}, expected ${httpAnswer}`)
  try {
    return await timedRuns(job, (params) => load(url, headers, params))
  } finally {
    killServer()
  }
}

async function main(job: FlowJob): Promise<FlowRun[]> {
  if (job.workload === 'flow-http' || job.workload === 'gateway-ask') return overHttp(job)
  return timedRuns(job, (params) => inProcess(job, params))
}

process.on('exit', killServer)
runJob<FlowJob, FlowRun>('flow-worker.ts', main, killServer)
