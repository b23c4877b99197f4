/**
 * `npm run bench`: every workload on the floor, on Troupe and on the nact peer, each subject's
 * workload in a fresh child process, one line per figure with its ratio to the floor measured
 * in the same run. The remote figures run between two fresh processes per subject (the worker
 * and a far side, `remote-far.ts`); their floor is raw `node:net` and they have no peer. The
 * child-node figures run in one fresh process per subject (`child-worker.ts`), which starts its
 * children; their floor is the raw channel (a bare Worker or fork) and they have no peer either.
 * The stream-heap figures have no floor: the raw channel has no flow control to compare with.
 * The NATS figures run on one `nats-server` this process starts per run (skipped, with the reason,
 * when there is none), each job in a fresh process with a subject prefix of its own: the
 * throughput figures' floor is the raw NATS client (`nats-worker.ts`); the cluster figures
 * (`nats-cluster-worker.ts`, which starts node processes of its own) have a base instead, printed
 * in the floor's place: the configured heartbeat timeout for the kills, one heartbeat per node per
 * interval for the heartbeat counts. The flow figures run in one fresh process per subject
 * (`flow-worker.ts`; for `flow-http` it forks the server, `flow-server.ts`, and loads it with
 * autocannon); their floor is plain actors, the same graph with 1 sink, or a plain fastify handler.
 * The MajorDomo figure runs its broker in one fresh process and the client and workers in another
 * (`majordomo-job.ts`); its floor is a raw ZeroMQ relay over the same processes.
 *
 *   --size tiny|full   full (default) or about 1/1000 of it, run once with no warm-up, to prove the
 *                      benchmarks still work
 *   --only <figure>    one figure (or several, comma-separated): skynet, ring, ping-pong, burst,
 *                      ask, spawn, spawn-heap, remote-ping-pong, remote-tells, remote-ask,
 *                      remote-ping-pong-sealed, remote-tells-sealed (frameAuth on both nodes),
 *                      thread-run, process-run, thread-stream, process-stream,
 *                      thread-stream-heap, process-stream-heap, thread-stream-heap-16k,
 *                      process-stream-heap-16k, spawn-thread, spawn-process, fanout,
 *                      nats-tells, nats-ask, nats-request, nats-name-gone, nats-heartbeats-3,
 *                      nats-heartbeats-10, nats-heartbeats-30, flow-pipeline, flow-fanout, flow-http,
 *                      mdp-broker, gateway-ask, dashboard-watched, dashboard-unwatched
 *   --peers, --no-peers  run nact too (default) or not
 *   --from dist|source  measure the compiled package in dist/ (default: what users run; `npm run
 *                      bench` builds it first) or the TypeScript sources through tsx, whose
 *                      transform names every closure it creates (a cost no user pays)
 *
 * Exits non-zero when any workload throws, gives a wrong result or does not finish.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { natsServerVersion } from '../test/support/nats-server.ts'
import {
  type ChildSubjectName,
  type ChildWorkloadName,
  childParamsFor,
  childWorkloadNames,
  isChildWorkload,
} from './child-nodes.ts'
import {
  type DashboardSubjectName,
  type DashboardWorkloadName,
  dashboardParamsFor,
  dashboardWorkloadNames,
  isDashboardWorkload,
} from './dashboard-figures.ts'
import { type AnyWorkload, best, type Figure, type Outcome, ratio, significant } from './figure.ts'
import { describe, figures } from './figures.ts'
import {
  type FlowSubjectName,
  type FlowWorkloadName,
  flowParamsFor,
  flowWorkloadNames,
  isFlowWorkload,
} from './flow.ts'
import {
  isMajordomoWorkload,
  type MajordomoSubjectName,
  type MajordomoWorkloadName,
  majordomoParamsFor,
  majordomoWorkloadNames,
} from './majordomo-figures.ts'
import {
  isNatsClusterWorkload,
  isNatsWorkload,
  type NatsJob,
  type NatsSubjectName,
  type NatsWorkloadName,
  natsParamsFor,
  natsWorkloadNames,
} from './nats.ts'
import type { NatsServerReady } from './nats-server-child.ts'
import {
  type FarReady,
  isRemoteWorkload,
  isSealed,
  type RemoteJob,
  type RemoteSubjectName,
  type RemoteWorkloadName,
  remoteParamsFor,
  remoteWorkloadNames,
} from './remote.ts'
import type { Job, WorkerReport } from './worker.ts'
import {
  type Params,
  paramsFor,
  type SizeName,
  type SubjectName,
  scaleDown,
  skynetActors,
  type WorkloadName,
  workloadNames,
} from './workloads.ts'

const benchDir = dirname(fileURLToPath(import.meta.url))
const root = dirname(benchDir)

/**
 * nact is slow: a workload whose full-size run would take well over 30 s runs this many times
 * smaller and its figure is extrapolated, which the line says. None needs it now: the slowest,
 * the full skynet, takes 22-28 s; rates and per-operation figures never need it.
 */
const peerCaps: Partial<Record<WorkloadName, number>> = {}

interface Options {
  size: SizeName
  only: Set<string> | null
  peers: boolean
  from: 'dist' | 'source'
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: 'full' },
      only: { type: 'string' },
      peers: { type: 'boolean', default: true },
      'no-peers': { type: 'boolean', default: false },
      from: { type: 'string', default: 'dist' },
    },
    strict: true,
  })
  if (values.size !== 'full' && values.size !== 'tiny')
    throw new Error(`--size must be tiny or full, not ${values.size}`)
  if (values.from !== 'dist' && values.from !== 'source')
    throw new Error(`--from must be dist or source, not ${values.from}`)
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : null
  for (const name of only ?? []) {
    if (!figures.some((f) => f.name === name)) {
      throw new Error(`unknown figure ${name}; one of ${figures.map((f) => f.name).join(', ')}`)
    }
  }
  return { size: values.size, only, peers: values.peers && !values['no-peers'], from: values.from }
}

/** The newest modification time of the files under `dir`, in milliseconds (0 for none). */
function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/** Refuses to measure a dist/ that is missing or older than the sources it was built from. */
function checkDist(): void {
  let built: number
  try {
    built = statSync(join(root, 'dist', 'index.js')).mtimeMs
  } catch {
    throw new Error('dist/ is not built: run `npm run build` first, or pass --from source')
  }
  if (newestMtime(join(root, 'src')) > built)
    throw new Error('dist/ is older than src/: run `npm run build` first, or pass --from source')
}

/** Node options of every measuring process: `--conditions=source` makes `troupe` resolve to src/. */
let fromSource = false

function paramsOf(workload: AnyWorkload, size: SizeName): Params {
  if (isNatsWorkload(workload)) return natsParamsFor(workload, size)
  if (isChildWorkload(workload)) return childParamsFor(workload, size)
  if (isFlowWorkload(workload)) return flowParamsFor(workload, size)
  if (isMajordomoWorkload(workload)) return majordomoParamsFor(workload, size)
  if (isDashboardWorkload(workload)) return dashboardParamsFor(workload, size)
  return isRemoteWorkload(workload) ? remoteParamsFor(workload, size) : paramsFor(workload, size)
}

/** Every child process still running, killed when this process exits for any reason. */
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

function forkChild(script: string, args: string[]): ChildProcess {
  const child = fork(join(benchDir, script), args, {
    cwd: root,
    execArgv: [
      '--import',
      'tsx',
      ...(fromSource ? ['--conditions=source'] : []),
      '--expose-gc',
      '--max-old-space-size=8192',
    ],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  // The figure lines own stdout; whatever a subject prints goes to stderr.
  child.stdout?.pipe(process.stderr)
  return child
}

/** Forks `script` with `job` (a `Job`, `RemoteJob`, `ChildJob`, `NatsJob` or `FlowJob`) and waits for its report. */
function runWorker<J extends { timeoutMs: number }>(job: J, script = 'worker.ts'): Promise<WorkerReport> {
  return new Promise((resolve) => {
    const child = forkChild(script, [JSON.stringify(job)])
    let report: WorkerReport | undefined
    const killer = setTimeout(() => child.kill('SIGKILL'), job.timeoutMs + 30_000)
    child.on('message', (message) => {
      report = message as WorkerReport
    })
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      resolve(report ?? { ok: false, error: `worker exited (${signal ?? `code ${code}`}) without a result` })
    })
  })
}

/** The far side of a remote figure, listening: its address, and how to kill it. */
interface Far {
  address: string
  kill(): Promise<void>
}

function startFar(subject: RemoteSubjectName, sealed: boolean): Promise<Far> {
  const child = forkChild('remote-far.ts', sealed ? [subject, 'sealed'] : [subject])
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (why: string | undefined, address = ''): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (why === undefined) resolve({ address, kill })
      else void kill().then(() => reject(new Error(`the ${subject} far side ${why}`)))
    }
    const timer = setTimeout(() => settle('did not listen within 30 s'), 30_000)
    child.once('exit', (code, signal) => settle(`exited (${signal ?? `code ${code}`}) before listening`))
    child.once('message', (message) => settle(undefined, (message as FarReady).ready))
  })
}

/** A remote figure on one subject: a fresh far process, then a fresh worker; both killed at the end. */
async function measureRemote(
  subject: RemoteSubjectName,
  workload: RemoteWorkloadName,
  size: SizeName,
): Promise<Outcome> {
  const params = remoteParamsFor(workload, size)
  let far: Far
  try {
    far = await startFar(subject, isSealed(workload))
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) }
  }
  try {
    const job: RemoteJob = {
      subject,
      workload,
      far: far.address,
      params,
      warmup: size === 'full' ? { count: Math.max(1, Math.round(params.count / 10)) } : null,
      repeatBelowMs: 2_000,
      maxRuns: size === 'full' ? 3 : 1,
      timeoutMs: size === 'full' ? 300_000 : 60_000,
    }
    const report = await runWorker(job, 'remote-worker.ts')
    if (!report.ok) return report
    return { ok: true, runs: report.runs, params, scale: 1 }
  } finally {
    await far.kill()
  }
}

/**
 * A child-node or flow figure on one subject: one fresh process, which starts (and kills) the
 * children or the server it needs. The spawn figures start a child per spawn, so a tiny run skips
 * their warm-up and repeats; so does every figure of the kind, for the same size rule.
 */
async function measureAlone(
  script: 'child-worker.ts' | 'flow-worker.ts' | 'majordomo-job.ts' | 'dashboard-job.ts',
  subject: ChildSubjectName | FlowSubjectName | MajordomoSubjectName | DashboardSubjectName,
  workload: ChildWorkloadName | FlowWorkloadName | MajordomoWorkloadName | DashboardWorkloadName,
  params: Params,
  size: SizeName,
  repeatBelowMs = 2_000,
  fullRuns: { warmup: Params; maxRuns: number } | undefined = undefined,
): Promise<Outcome> {
  const report = await runWorker(
    {
      subject,
      workload,
      params,
      warmup:
        size === 'full'
          ? (fullRuns?.warmup ?? { ...params, count: Math.max(1, Math.round(params.count / 10)) })
          : null,
      repeatBelowMs,
      maxRuns: size === 'full' ? (fullRuns?.maxRuns ?? 3) : 1,
      timeoutMs: size === 'full' ? 300_000 : 60_000,
    },
    script,
  )
  if (!report.ok) return report
  return { ok: true, runs: report.runs, params, scale: 1 }
}

/**
 * The one `nats-server` of a run (with JetStream), started by the first NATS figure in a process
 * of its own (`nats-server-child.ts`), which stops it when this process ends in any way, SIGKILL
 * included (its IPC channel closes); a string says why there is none (every NATS figure is then
 * skipped).
 */
interface RunNatsServer {
  url: string
  stop(): Promise<void>
}
let natsServer: Promise<RunNatsServer | string> | undefined
let natsJobs = 0

function theNatsServer(): Promise<RunNatsServer | string> {
  natsServer ??=
    natsServerVersion() === undefined
      ? Promise.resolve('nats-server is not on PATH')
      : new Promise((resolve) => {
          const holder = fork(join(benchDir, 'nats-server-child.ts'), [], {
            cwd: root,
            execArgv: ['--import', 'tsx'],
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
          })
          const exited = new Promise<void>((done) => holder.once('exit', () => done()))
          const stop = async () => {
            if (holder.connected) holder.disconnect()
            await exited
          }
          holder.once('exit', (code, signal) =>
            resolve(
              `the nats-server holder exited (${signal ?? `code ${code}`}) before the server was ready`,
            ),
          )
          holder.once('message', (message) => {
            const ready = message as NatsServerReady
            resolve('url' in ready ? { url: ready.url, stop } : `nats-server did not start: ${ready.error}`)
          })
        })
  return natsServer
}

/** A NATS figure on one subject: a fresh worker on the run's server, with a subject prefix of its own. */
async function measureNats(
  subject: NatsSubjectName,
  workload: NatsWorkloadName,
  size: SizeName,
): Promise<Outcome> {
  const server = await theNatsServer()
  if (typeof server === 'string') return { ok: false, error: `skipped: ${server}`, skipped: true }
  const params = natsParamsFor(workload, size)
  const cluster = isNatsClusterWorkload(workload)
  const job: NatsJob = {
    subject,
    workload,
    url: server.url,
    prefix: `bench${++natsJobs}`,
    source: fromSource,
    params,
    warmup: size === 'full' && !cluster ? { count: Math.max(1, Math.round(params.count / 10)) } : null,
    repeatBelowMs: 2_000,
    maxRuns: cluster ? 1 : size === 'full' ? 3 : 1,
    timeoutMs: size === 'full' ? 600_000 : 120_000,
  }
  const report = await runWorker(job, cluster ? 'nats-cluster-worker.ts' : 'nats-worker.ts')
  if (!report.ok) return report
  return { ok: true, runs: report.runs, params, scale: 1 }
}

async function measure(subject: SubjectName, workload: AnyWorkload, size: SizeName): Promise<Outcome> {
  if (isNatsWorkload(workload)) {
    if (subject === 'nact') throw new Error('the NATS figures have no peer')
    return measureNats(subject, workload, size)
  }
  if (isChildWorkload(workload)) {
    if (subject === 'nact') throw new Error('the child-node figures have no peer')
    return measureAlone('child-worker.ts', subject, workload, childParamsFor(workload, size), size)
  }
  if (isFlowWorkload(workload)) {
    if (subject === 'nact') throw new Error('the flow figures have no peer')
    return measureAlone('flow-worker.ts', subject, workload, flowParamsFor(workload, size), size)
  }
  if (isDashboardWorkload(workload)) {
    if (subject === 'nact') throw new Error('the dashboard figures have no peer')
    // CPU over a span is noisy on a shared machine, and a fresh process is still compiling and
    // collecting the garbage of its 10,000 spawns: a warm-up as long as a run, then always five
    // runs, whose median is the figure.
    const params = dashboardParamsFor(workload, size)
    return measureAlone('dashboard-job.ts', subject, workload, params, size, 1e9, {
      warmup: params,
      maxRuns: 5,
    })
  }
  if (isMajordomoWorkload(workload)) {
    if (subject === 'nact') throw new Error('the MajorDomo figure has no peer')
    return measureAlone('majordomo-job.ts', subject, workload, majordomoParamsFor(workload, size), size)
  }
  if (isRemoteWorkload(workload)) {
    if (subject === 'nact') throw new Error('the remote figures have no peer')
    return measureRemote(subject, workload, size)
  }
  const full = paramsFor(workload, size)
  const cap = subject === 'nact' && size === 'full' ? peerCaps[workload] : undefined
  const params = cap ? scaleDown(workload, full, cap) : full
  const scale = workload === 'skynet' ? skynetActors(full.count) / skynetActors(params.count) : 1
  const report = await runWorker<Job>({
    subject,
    workload,
    params,
    warmup: size === 'full' ? scaleDown(workload, params, 10) : null,
    repeatBelowMs: 2_000,
    maxRuns: size === 'full' ? 3 : 1,
    timeoutMs: size === 'full' ? 300_000 : 60_000,
  })
  if (!report.ok) return report
  return { ok: true, runs: report.runs, params, scale }
}

function firstLine(error: string): string {
  const line = error.split('\n')[0] ?? error
  return line.length > 100 ? `${line.slice(0, 97)}...` : line
}

function line(
  figure: Figure,
  size: SizeName,
  outcomes: Partial<Record<SubjectName, Outcome>>,
  peers: boolean,
): string {
  const value = (subject: SubjectName): number | undefined => {
    const outcome = outcomes[subject]
    return outcome?.ok ? best(figure, outcome) : undefined
  }
  const troupe = outcomes.troupe
  const floor = outcomes.floor
  if (troupe?.ok === false && troupe.skipped)
    return `${figure.name}: SKIPPED (${troupe.error.replace(/^skipped: /, '')})`
  const base = figure.base?.(paramsOf(figure.workload, size))
  const floorValue = base?.value ?? value('floor')
  const troupeValue = value('troupe')
  const parts: string[] = []

  parts.push(
    `${figure.name}: ${troupe?.ok ? figure.format(troupeValue!) : `FAILED (${firstLine(troupe?.error ?? 'not run')})`}`,
  )
  parts.push(
    base !== undefined
      ? `base ${base.text}`
      : figure.noFloor !== undefined
        ? `floor ${figure.noFloor}`
        : `floor ${floor?.ok ? figure.format(floorValue!) : `FAILED (${firstLine(floor?.error ?? 'not run')})`}`,
  )
  const toFloor = troupeValue !== undefined && floorValue !== undefined ? troupeValue / floorValue : undefined
  const against = base !== undefined ? 'base' : 'floor'
  parts.push(toFloor !== undefined ? `${ratio(toFloor)} ${against}` : `n/a ${against}`)
  const met =
    troupeValue === undefined
      ? undefined
      : figure.noFloor !== undefined
        ? figure.target.met(troupeValue, Number.NaN)
        : toFloor === undefined
          ? undefined
          : figure.target.met(troupeValue, toFloor)
  const verdict =
    size === 'tiny' ? 'not judged at tiny size' : met === undefined ? 'not judged' : met ? 'met' : 'missed'
  parts.push(`target ${figure.target.text} (${verdict})`)
  parts.push(peerPart(figure, outcomes.nact, peers, troupeValue, floorValue))
  parts.push(
    describe(figure.workload, paramsOf(figure.workload, size)) + (figure.note?.(troupe, floor) ?? ''),
  )
  return parts.join(' | ')
}

function peerPart(
  figure: Figure,
  nact: Outcome | undefined,
  peers: boolean,
  troupeValue: number | undefined,
  floorValue: number | undefined,
): string {
  if (!peers) return 'nact off'
  if (!nact) return 'nact n/a'
  if (!nact.ok) return `nact FAILED (${firstLine(nact.error)})`
  const value = best(figure, nact)
  const against =
    troupeValue !== undefined
      ? `${ratio(value / troupeValue)} troupe`
      : floorValue !== undefined
        ? `${ratio(value / floorValue)} floor`
        : 'no ratio'
  if (nact.scale === 1) return `nact ${figure.format(value)} (${against})`
  const measured = best(figure, { ...nact, scale: 1 })
  return `nact ~${figure.format(value)} (${against}; measured ${figure.format(measured)} at ${describe(figure.workload, nact.params)}, scaled x${significant(nact.scale)})`
}

/** Runs at most `concurrency` tasks at once, in the order they were queued. */
function limit(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: (() => void)[] = []
  return async (task) => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await task()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  fromSource = options.from === 'source'
  if (!fromSource) checkDist()
  const selected = figures.filter((f) => options.only === null || options.only.has(f.name))
  const peerSubjects: SubjectName[] = options.peers ? ['floor', 'troupe', 'nact'] : ['floor', 'troupe']
  // The remote and child-node figures have no peer: nact does not talk between processes.
  // A workload whose figures all say why they have no floor runs on Troupe alone.
  const floorless = (workload: AnyWorkload): boolean =>
    figures
      .filter((f) => f.workload === workload)
      .every((f) => f.noFloor !== undefined || f.base !== undefined)
  const subjectsOf = (workload: AnyWorkload): SubjectName[] =>
    isRemoteWorkload(workload) ||
    isChildWorkload(workload) ||
    isNatsWorkload(workload) ||
    isFlowWorkload(workload) ||
    isMajordomoWorkload(workload) ||
    isDashboardWorkload(workload)
      ? floorless(workload)
        ? ['troupe']
        : ['floor', 'troupe']
      : peerSubjects
  console.log(
    `# troupe bench: size ${options.size}, node ${process.version}, ${cpus().length} cpus, ` +
      `peers ${options.peers ? 'nact' : 'off'}, troupe from ${options.from}; value | floor | ratio to floor | target | peer | size`,
  )
  // Timing needs the machine to itself; a tiny run only proves correctness, so it may run in parallel.
  const queue = limit(options.size === 'tiny' ? availableParallelism() : 1)
  const pending = new Map<string, Promise<Outcome>>()
  const workloads: AnyWorkload[] = [
    ...workloadNames,
    ...remoteWorkloadNames,
    ...childWorkloadNames,
    ...natsWorkloadNames,
    ...flowWorkloadNames,
    ...majordomoWorkloadNames,
    ...dashboardWorkloadNames,
  ]
  for (const workload of workloads) {
    if (!selected.some((f) => f.workload === workload)) continue
    for (const subject of subjectsOf(workload)) {
      pending.set(
        `${workload}/${subject}`,
        queue(() => measure(subject, workload, options.size)),
      )
    }
  }
  let failed = false
  const reported = new Set<string>()
  for (const workload of workloads) {
    const own = selected.filter((f) => f.workload === workload)
    if (own.length === 0) continue
    const outcomes: Partial<Record<SubjectName, Outcome>> = {}
    for (const subject of subjectsOf(workload)) {
      const outcome = await pending.get(`${workload}/${subject}`)!
      outcomes[subject] = outcome
      if (!outcome.ok && outcome.skipped) continue
      if (!outcome.ok) {
        failed = true
        const detail = outcome.detail ?? outcome.error
        console.error(`# ${workload} on ${subject} failed: ${reported.has(detail) ? outcome.error : detail}`)
        reported.add(detail)
      }
    }
    for (const figure of own) console.log(line(figure, options.size, outcomes, options.peers))
  }
  const server = await natsServer
  if (typeof server === 'object') await server.stop()
  return failed ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 2
  },
)
