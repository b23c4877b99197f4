/**
 * The measuring side of one child-node figure on one subject, in a fresh process: forked by
 * run.ts with a `ChildJob` as its argument, it answers with one `WorkerReport` over IPC and
 * exits. The timing follows `worker.ts`: a warm-up, then measured runs (repeated while under
 * `repeatBelowMs`, up to `maxRuns`), two `gc()` calls before each. Starting children (and filling
 * the pool, for the spawn figures) is not timed, except the bare Worker / fork of the spawn floor.
 * Every child started here is killed before the report, even on failure.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import {
  type ActorSystem,
  type ChildNode,
  createChildPool,
  type Portal,
  portalOf,
  start,
  startChildNode,
} from 'troupe'
import { benchFunctions, countPrimes, Host } from './child-functions.ts'
import {
  type ChildJob,
  type ChildRun,
  type ChildWorkloadName,
  childExpected,
  childKind,
  itemBytesOf,
  type StreamHeap,
  slowConsumerUs,
  streamHeapProbes,
  streamHeapScale,
  streamHeapWarmup,
} from './child-nodes.ts'
import { runJob } from './job-runner.ts'
import type { Params, Trial } from './workloads.ts'

const functionsModule = new URL('./child-functions.ts', import.meta.url).href
const rawModule = new URL('./child-raw.mjs', import.meta.url)
const callTimeout = 600_000
/** The fan-out's range is split into this many chunks, handed to whichever side is free. */
const chunks = 24
/** Items per message of the raw stream floor. */
const rawBatch = 1_024
/** The stream-heap figures' loop asks how far the generator ran ahead every this many items. */
const aheadEvery = 64

// ---- every child this process starts, killed at the end whatever happens ----

const rawChildren = new Set<Worker | ChildProcess>()
const childNodes = new Set<ChildNode>()

function killRaw(child: Worker | ChildProcess): Promise<void> {
  rawChildren.delete(child)
  if (child instanceof Worker) return child.terminate().then(() => undefined)
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  return exited
}

async function killNode(child: ChildNode): Promise<void> {
  childNodes.delete(child)
  const handle = child.handle
  if (handle instanceof Worker) void handle.terminate()
  else if (handle.exitCode === null && handle.signalCode === null) handle.kill('SIGKILL')
  await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
}

async function killAll(): Promise<void> {
  await Promise.allSettled([...[...rawChildren].map(killRaw), ...[...childNodes].map(killNode)])
}

/** The last resort: synchronous, on exit. */
function killAllNow(): void {
  for (const child of rawChildren) {
    if (child instanceof Worker) void child.terminate()
    else child.kill('SIGKILL')
  }
  for (const { handle } of childNodes) {
    if (handle instanceof Worker) void handle.terminate()
    else handle.kill('SIGKILL')
  }
}

// ---- the floor: a bare Worker or fork of child-raw.mjs ----

interface RawChild {
  send(message: unknown): void
  onMessage: (message: unknown) => void
  /** Resolves at the child's `ready`. */
  ready: Promise<void>
  kill(): Promise<void>
}

function rawChild(kind: 'thread' | 'process'): RawChild {
  let readied: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    readied = resolve
  })
  const raw: RawChild = {
    send: () => {},
    onMessage: () => {},
    ready,
    kill: async () => {},
  }
  const receive = (message: unknown): void => {
    if (message === 'ready') readied()
    else raw.onMessage(message)
  }
  if (kind === 'thread') {
    // Plain Node, as the fork: without `execArgv: []` it would inherit this process's `--import tsx`.
    const worker = new Worker(rawModule, { execArgv: [] })
    rawChildren.add(worker)
    worker.on('message', receive)
    worker.on('error', (error) => process.emit('uncaughtException', error))
    raw.send = (message) => worker.postMessage(message)
    raw.kill = () => killRaw(worker)
  } else {
    const child = fork(rawModule, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] })
    rawChildren.add(child)
    child.on('message', receive)
    raw.send = (message) => child.send(message as object)
    raw.kill = () => killRaw(child)
  }
  return raw
}

function completion<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {}
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

const idle: Trial['close'] = async () => {}

async function rawTrial(workload: ChildWorkloadName, params: Params): Promise<Trial> {
  const kind = childKind(workload)
  switch (workload) {
    case 'thread-run':
    case 'process-run':
    case 'thread-stream':
    case 'process-stream': {
      const child = await warmRaw(kind)
      if (workload.endsWith('-run')) {
        return {
          async run() {
            let sum = 0
            for (let i = 0; i < params.count; i++) {
              const { promise, resolve } = completion<number>()
              child.onMessage = (reply) => resolve(reply as number)
              child.send({ i })
              sum += await promise
            }
            return sum
          },
          close: idle,
        }
      }
      return {
        run() {
          const { promise, resolve } = completion<number>()
          let next = 0
          child.onMessage = (message) => {
            for (const item of message as number[]) {
              if (item !== next) throw new Error(`item ${item} came where ${next} was due`)
              next++
            }
            if (next === params.count) resolve(next)
          }
          child.send({ stream: params.count, batch: rawBatch })
          return promise
        },
        close: idle,
      }
    }
    case 'spawn-thread':
    case 'spawn-process':
      return {
        async run() {
          let ready = 0
          for (let i = 0; i < params.count; i++) {
            const child = rawChild(kind)
            await child.ready
            ready++
            // Killing it is not part of the figure: pause the clock while it ends.
            await child.kill()
          }
          return ready
        },
        close: idle,
      }
    case 'thread-stream-heap':
    case 'process-stream-heap':
    case 'thread-stream-heap-16k':
    case 'process-stream-heap-16k':
      throw new Error(`${workload} has no floor: a bare Worker or fork has no flow control to compare`)
    case 'fanout':
      // The same work in one process: this one.
      return {
        async run() {
          let found = 0
          for (const [from, to] of ranges(params.count)) found += countPrimes(from, to)
          return found
        },
        close: idle,
      }
  }
}

function ranges(upTo: number): [number, number][] {
  const out: [number, number][] = []
  const step = Math.ceil(upTo / chunks)
  for (let from = 0; from < upTo; from += step) out.push([from, Math.min(upTo, from + step)])
  return out
}

// ---- Troupe: child nodes behind portals ----

async function hostOn(system: ActorSystem, child: ChildNode): Promise<Portal> {
  const host = portalOf(system, system.spawn(Host, { on: child.node }), { timeout: callTimeout })
  await host.ask({ type: 'ping' }, { timeout: callTimeout })
  return host
}

/**
 * The round-trip and stream figures keep one child per job, started before the warm-up and used
 * by every run after it, on both subjects: a fresh child per run would time its JIT warming up
 * (the first few thousand calls of a new child node took 2-5x as long as the rest).
 */
const warmHosts = new Map<'thread' | 'process', Promise<Portal>>()
const warmRaws = new Map<'thread' | 'process', Promise<RawChild>>()

function warmHost(system: ActorSystem, kind: 'thread' | 'process'): Promise<Portal> {
  let host = warmHosts.get(kind)
  if (host === undefined) {
    host = startChild(system, kind).then((child) => hostOn(system, child))
    warmHosts.set(kind, host)
  }
  return host
}

function warmRaw(kind: 'thread' | 'process'): Promise<RawChild> {
  let raw = warmRaws.get(kind)
  if (raw === undefined) {
    const child = rawChild(kind)
    raw = child.ready.then(() => child)
    warmRaws.set(kind, raw)
  }
  return raw
}

async function startChild(system: ActorSystem, kind: 'thread' | 'process'): Promise<ChildNode> {
  const child = await startChildNode(system, { in: kind, modules: [functionsModule], graceMs: 1_000 })
  childNodes.add(child)
  return child
}

async function troupeTrial(system: ActorSystem, workload: ChildWorkloadName, params: Params): Promise<Trial> {
  const kind = childKind(workload)
  switch (workload) {
    case 'thread-run':
    case 'process-run': {
      const host = await warmHost(system, kind)
      return {
        async run() {
          let sum = 0
          for (let i = 0; i < params.count; i++) sum += await host.run(benchFunctions.echo, [i])
          return sum
        },
        close: idle,
      }
    }
    case 'thread-stream':
    case 'process-stream': {
      const host = await warmHost(system, kind)
      return {
        async run() {
          let next = 0
          for await (const item of host.stream(benchFunctions.numbers, [params.count])) {
            if (item !== next) throw new Error(`item ${item} came where ${next} was due`)
            next++
          }
          return next
        },
        close: idle,
      }
    }
    case 'thread-stream-heap':
    case 'process-stream-heap':
    case 'thread-stream-heap-16k':
    case 'process-stream-heap-16k': {
      const host = await warmHost(system, kind)
      const bytes = itemBytesOf(workload)
      await warmStream(host, params.count * streamHeapWarmup)
      // A fast stream leaves larger transport buffers behind than a slow one holds: a short slow
      // stream first, so that the memory before the measured one is a slow stream's.
      await slowStream(host, Math.ceil(params.count / 10), bytes)
      return {
        async run() {
          const small = await slowStream(host, params.count, bytes)
          const large = await slowStream(host, params.count * streamHeapScale, bytes)
          streamHeap = {
            items: [small.items, large.items],
            parent: [small.parent, large.parent],
            child: [small.child, large.child],
            ahead: Math.max(small.ahead, large.ahead),
            consumingMs: large.consumingMs,
          }
          return small.items + large.items
        },
        close: idle,
      }
    }
    case 'spawn-thread':
    case 'spawn-process': {
      const pool = createChildPool(system, { in: kind, size: 1, modules: [functionsModule], graceMs: 1_000 })
      return {
        async run() {
          let ms = 0
          let replies = 0
          try {
            for (let i = 0; i < params.count; i++) {
              await pool.ready()
              const started = performance.now()
              const child = await pool.take()
              childNodes.add(child)
              const reply = await system
                .spawn(Host, { on: child.node })
                .ask({ type: 'ping' }, { timeout: callTimeout })
              ms += performance.now() - started
              if (reply === 'pong') replies++
              await killNode(child)
            }
          } finally {
            // The pool's waiting child is not part of the figure.
            await pool.close()
          }
          spawnMs = ms
          return replies
        },
        close: idle,
      }
    }
    case 'fanout': {
      const hosts = await Promise.all(
        [0, 1].map(async () => hostOn(system, await startChild(system, 'process'))),
      )
      return {
        async run() {
          const todo = ranges(params.count)
          let found = 0
          await Promise.all(
            hosts.map(async (host) => {
              for (let range = todo.shift(); range; range = todo.shift()) {
                // Not `found += await …`, which would read `found` before the other side adds to it.
                const primes = await host.run(benchFunctions.countPrimes, [range[0], range[1]])
                found += primes
              }
            }),
          )
          return found
        },
        close: async () => {
          await Promise.all([...childNodes].map(killNode))
        },
      }
    }
  }
}

/** The spawn figures time only take + spawn + ask, not the pool refilling between spawns. */
let spawnMs: number | undefined

/** What the stream-heap figures measured in their last run. */
let streamHeap: StreamHeap | undefined

/** Busy for `us` microseconds: the slow consumer's work on an item, the same on every machine. */
function busy(us: number): void {
  const until = performance.now() + us / 1_000
  while (performance.now() < until) {
    // the item's work
  }
}

/** This process's live memory: `heapUsed` + `arrayBuffers` after full collections. */
function liveMemory(): number {
  collect()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

/**
 * Before a stream-heap trial, untimed: `items` at full speed and a probe's `portal.run` per 100 of
 * them, so that the JIT has settled on both sides; without it the first slow streams read
 * 100-300 KB of growth that the next ones do not (code and feedback, not items).
 */
async function warmStream(host: Portal, items: number): Promise<void> {
  let next = 0
  for await (const item of host.stream(benchFunctions.countedNumbers, [items])) {
    if (item !== next) throw new Error(`item ${item} came where ${next} was due`)
    next++
    if (next % 100 === 0) await host.run(benchFunctions.yielded)
  }
}

/** The stream of `slowStream`: small numbers, or items of `bytes` of payload. */
function countedStream(host: Portal, count: number, bytes: number | undefined): AsyncIterable<number> {
  if (bytes === undefined) return host.stream(benchFunctions.countedNumbers, [count])
  return (async function* () {
    for await (const item of host.stream(benchFunctions.countedBlocks, [count, bytes])) {
      if (item.data.length !== bytes || item.data[bytes - 1] !== item.i % 256)
        throw new Error(`item ${item.i} came with the wrong payload`)
      yield item.i
    }
  })()
}

/**
 * Streams `count` items from the child's generator (default window) to a loop that spends
 * `slowConsumerUs` on each: numbers, or items of `bytes` of payload. Every `aheadEvery` items the loop asks the child how many items the
 * generator has yielded: the loop awaits the answer, so its own count does not move meanwhile and
 * the difference is how far the generator ran ahead. That await also makes the loop a consumer
 * that waits on I/O now and then, as real ones do: items arrive while it waits, with some still
 * unread (a loop that never awaits reads every item that has come before the next can arrive). `streamHeapProbes` times, evenly spaced, the
 * ask collects garbage on both sides and reads their live memory, with the stream open: the
 * largest growth over the memory before the stream is each side's figure.
 */
async function slowStream(
  host: Portal,
  count: number,
  bytes?: number,
): Promise<{ items: number; parent: number; child: number; ahead: number; consumingMs: number }> {
  const childBefore = (await host.run(benchFunctions.probe)).memory
  const parentBefore = liveMemory()
  let parent = Number.NEGATIVE_INFINITY
  let child = Number.NEGATIVE_INFINITY
  const every = Math.max(1, Math.floor(count / streamHeapProbes))
  let ahead = 0
  let probingMs = 0
  let next = 0
  const started = performance.now()
  for await (const item of countedStream(host, count, bytes)) {
    if (item !== next) throw new Error(`item ${item} came where ${next} was due`)
    next++
    busy(slowConsumerUs)
    if (next % every === 0) {
      const probeStarted = performance.now()
      const there = await host.run(benchFunctions.probe)
      child = Math.max(child, there.memory - childBefore)
      parent = Math.max(parent, liveMemory() - parentBefore)
      ahead = Math.max(ahead, there.yielded - next)
      probingMs += performance.now() - probeStarted
    } else if (next % aheadEvery === 0) {
      ahead = Math.max(ahead, (await host.run(benchFunctions.yielded)) - next)
    }
  }
  return { items: next, parent, child, ahead, consumingMs: performance.now() - started - probingMs }
}

// ---- timing ----

function collect(): void {
  if (!globalThis.gc) throw new Error('run the worker with --expose-gc')
  globalThis.gc()
  globalThis.gc()
}

async function measure(job: ChildJob, system: ActorSystem | undefined, params: Params): Promise<ChildRun> {
  const trial = system
    ? await troupeTrial(system, job.workload, params)
    : await rawTrial(job.workload, params)
  collect()
  spawnMs = undefined
  streamHeap = undefined
  const started = performance.now()
  let result: number
  try {
    result = await trial.run()
  } finally {
    await trial.close()
  }
  const ms = spawnMs ?? performance.now() - started
  const want = childExpected(job.workload, params)
  if (result !== want) throw new Error(`${job.workload} on ${job.subject} gave ${result}, expected ${want}`)
  return streamHeap === undefined ? { ms } : { ms, streamHeap }
}

async function main(job: ChildJob): Promise<ChildRun[]> {
  const system = job.subject === 'troupe' ? await start({ messages: 'none', logLevel: 'error' }) : undefined
  system?.expose({ Host })
  try {
    if (job.warmup) await measure(job, system, job.warmup)
    const runs = [await measure(job, system, job.params)]
    while (runs.length < job.maxRuns && runs[0]!.ms < job.repeatBelowMs)
      runs.push(await measure(job, system, job.params))
    return runs
  } finally {
    await killAll()
    await system?.shutdown()
  }
}

process.on('exit', killAllNow)
runJob<ChildJob, ChildRun>('child-worker.ts', main, killAllNow)
