/**
 * The measuring side of one remote figure on one subject, in a fresh process: forked by run.ts
 * with a `RemoteJob` as its argument once the far side (`remote-far.ts`) listens, it answers
 * with one `WorkerReport` over IPC and exits. The timing follows `worker.ts`: a warm-up at 1/10
 * of the size, then measured runs (repeated while under `repeatBelowMs`, up to `maxRuns`), two
 * `gc()` calls before each; connecting and spawning the far actors are not timed.
 */
import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { type ActorSystem, type Ref, start } from 'troupe'
import { runJob } from './job-runner.ts'
import {
  baseWorkload,
  freePort,
  isSealed,
  nodeOptions,
  RawBatcher,
  RawDecoder,
  type RawMsg,
  type RemoteJob,
  type RemoteWorkloadName,
  rawFrame,
  remoteExpected,
} from './remote.ts'
import {
  Echo,
  type EchoMsg,
  exposed,
  Pinger,
  Ponger,
  type PongMsg,
  Sink,
  type SinkMsg,
} from './remote-actors.ts'
import type { Run } from './worker.ts'
import type { Params, Trial } from './workloads.ts'

/** A remote run; `localMs` is the same number of local asks in the same worker (remote-ask on Troupe). */
export type RemoteRun = Run & { localMs?: number }

/** One subject's side of the remote workloads; each method prepares a trial without running it. */
interface RemoteSide {
  pingPong(roundTrips: number): Promise<Trial>
  tells(messages: number): Promise<Trial>
  ask(requests: number): Promise<Trial>
  /** The same asks of an actor in this process (Troupe only). */
  localAsk?(requests: number): Promise<Trial>
  close(): Promise<void>
}

const askTimeout = { timeout: 600_000 }

function completion<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {}
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

// ---- the floor: raw node:net ----

async function rawSide(far: string): Promise<RemoteSide> {
  const colon = far.lastIndexOf(':')
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ host: far.slice(0, colon), port: Number(far.slice(colon + 1)), noDelay: true })
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
  socket.setNoDelay(true)
  let lost: Error | undefined
  let onMessage: (message: RawMsg) => void = (message) => {
    throw new Error(`unexpected ${JSON.stringify(message)}`)
  }
  const decoder = new RawDecoder((message) => onMessage(message))
  socket.on('data', (chunk: Buffer) => decoder.push(chunk))
  socket.on('error', (error) => {
    lost = error
  })
  const idle: Trial['close'] = async () => {
    if (lost) throw lost
  }
  return {
    async pingPong(roundTrips) {
      return {
        run() {
          const { promise, resolve } = completion<number>()
          onMessage = (message) => {
            if (message.type !== 'pong') throw new Error(`expected a pong, got ${message.type}`)
            if (message.n === roundTrips) resolve(message.n)
            else socket.write(rawFrame({ type: 'ping', n: message.n + 1 }))
          }
          socket.write(rawFrame({ type: 'ping', n: 1 }))
          return promise
        },
        close: idle,
      }
    },

    async tells(messages) {
      return {
        run() {
          const { promise, resolve } = completion<number>()
          onMessage = (message) => {
            if (message.type !== 'counted') throw new Error(`expected the count, got ${message.type}`)
            resolve(message.n)
          }
          const batcher = new RawBatcher((chunk) => socket.write(chunk))
          for (let i = 0; i < messages; i++) batcher.add({ type: 'n', i })
          batcher.add({ type: 'count' })
          batcher.flush()
          return promise
        },
        close: idle,
      }
    },

    async ask(requests) {
      let answer: (value: number) => void = () => {}
      const request = (i: number): Promise<number> => {
        const { promise, resolve } = completion<number>()
        answer = resolve
        socket.write(rawFrame({ type: 'ask', i }))
        return promise
      }
      return {
        async run() {
          onMessage = (message) => {
            if (message.type !== 'reply') throw new Error(`expected a reply, got ${message.type}`)
            answer(message.value)
          }
          let sum = 0
          for (let i = 0; i < requests; i++) sum += await request(i)
          return sum
        },
        close: idle,
      }
    },

    async close() {
      socket.destroy()
    },
  }
}

// ---- Troupe: two nodes ----

async function troupeSide(far: string, frameAuth: boolean): Promise<RemoteSide> {
  const system: ActorSystem = await start({
    ...nodeOptions,
    frameAuth,
    node: `bench@127.0.0.1:${await freePort()}`,
  })
  system.expose(exposed)
  /** Stops a far actor after its trial (one round trip, untimed). */
  const stopping =
    (ref: Ref): Trial['close'] =>
    () =>
      system.stop(ref)
  return {
    async pingPong(roundTrips) {
      const ponger: Ref<PongMsg> = system.spawn(Ponger, { on: far })
      // The spawn has happened and the connection is up once the far actor answers.
      await ponger.ask({ type: 'hello' }, askTimeout)
      const { promise, resolve } = completion<number>()
      const pinger = system.spawn(Pinger, { props: { ponger, roundTrips, done: resolve } })
      return {
        run() {
          ponger.tell({ type: 'ping', n: 1, from: pinger })
          return promise
        },
        async close() {
          await system.stop(pinger)
          await system.stop(ponger)
        },
      }
    },

    async tells(messages) {
      const sink: Ref<SinkMsg> = system.spawn(Sink, { on: far })
      await sink.ask({ type: 'count' }, askTimeout)
      return {
        run() {
          for (let i = 0; i < messages; i++) sink.tell({ type: 'n', i })
          // After every tell on the same connection: answered once the far actor has counted them all.
          return sink.ask<number>({ type: 'count' }, askTimeout)
        },
        close: stopping(sink),
      }
    },

    async ask(requests) {
      const echo: Ref<EchoMsg> = system.spawn(Echo, { on: far })
      await echo.ask({ type: 'ask', i: -1 }, askTimeout)
      return {
        async run() {
          let sum = 0
          for (let i = 0; i < requests; i++) sum += await echo.ask<number>({ type: 'ask', i }, askTimeout)
          return sum
        },
        close: stopping(echo),
      }
    },

    async localAsk(requests) {
      const echo: Ref<EchoMsg> = system.spawn(Echo)
      return {
        async run() {
          let sum = 0
          for (let i = 0; i < requests; i++) sum += await echo.ask<number>({ type: 'ask', i }, askTimeout)
          return sum
        },
        close: stopping(echo),
      }
    },

    close: () => system.shutdown(),
  }
}

// ---- timing ----

function prepare(side: RemoteSide, workload: RemoteWorkloadName, params: Params): Promise<Trial> {
  switch (baseWorkload(workload)) {
    case 'remote-ping-pong':
      return side.pingPong(params.count)
    case 'remote-tells':
      return side.tells(params.count)
    case 'remote-ask':
      return side.ask(params.count)
  }
}

function collect(): void {
  if (!globalThis.gc) throw new Error('run the worker with --expose-gc')
  globalThis.gc()
  globalThis.gc()
}

async function timed(trial: Trial, job: RemoteJob, params: Params, what: string): Promise<number> {
  collect()
  const started = performance.now()
  const result = await trial.run()
  const ms = performance.now() - started
  await trial.close()
  const want = remoteExpected(job.workload, params)
  if (result !== want) throw new Error(`${what} on ${job.subject} gave ${result}, expected ${want}`)
  return ms
}

async function measure(job: RemoteJob, side: RemoteSide, params: Params): Promise<RemoteRun> {
  const run: RemoteRun = {
    ms: await timed(await prepare(side, job.workload, params), job, params, job.workload),
  }
  if (job.workload === 'remote-ask' && side.localAsk) {
    run.localMs = await timed(await side.localAsk(params.count), job, params, 'the local ask')
  }
  return run
}

async function main(job: RemoteJob): Promise<RemoteRun[]> {
  const side =
    job.subject === 'floor' ? await rawSide(job.far) : await troupeSide(job.far, isSealed(job.workload))
  try {
    if (job.warmup) await measure(job, side, job.warmup)
    const runs = [await measure(job, side, job.params)]
    while (runs.length < job.maxRuns && runs[0]!.ms < job.repeatBelowMs)
      runs.push(await measure(job, side, job.params))
    return runs
  } finally {
    await side.close()
  }
}

runJob<RemoteJob, RemoteRun>('remote-worker.ts', main)
