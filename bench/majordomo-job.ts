/**
 * The MajorDomo figure on one subject, in a fresh process: forked by run.ts with a
 * `MajordomoJob`, it answers with one report over IPC and exits.
 *
 * The layout is chosen for this 2-core machine: the broker (troupe) or the raw relay (floor)
 * runs here, alone; the client and the 4 workers run in one other process
 * (`majordomo-load.ts`). Each request then crosses processes 4 times, and the two processes do
 * about the same work (the broker receives and sends twice per request, the client and a worker
 * once each), so each has a core and a ZeroMQ I/O thread beside it. The load process times the
 * runs: a warm-up at 1/10, then up to 3 runs while under 2 s.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { type Broker, startBroker } from 'troupe/flow'
import { runJob, timedRuns } from './job-runner.ts'
import { type MajordomoJob, type MajordomoRun, mdpInFlight, mdpWorkers } from './majordomo-figures.ts'
import type { LoadCommand, LoadMessage, LoadSetup } from './majordomo-load.ts'
import { type Relay, startRelay } from './majordomo-relay.ts'

/** The broker or relay of a subject: where its two sides connect, and how many workers it knows. */
interface Middle {
  clients: string
  workers: string
  workerCount(): number
  close(): Promise<void>
}

async function startMiddle(job: MajordomoJob): Promise<Middle> {
  if (job.subject === 'floor') {
    const relay: Relay = await startRelay(job.relayCredit)
    return relay
  }
  const broker: Broker = await startBroker({ endpoint: 'tcp://127.0.0.1:*' })
  return {
    clients: broker.endpoint,
    workers: broker.endpoint,
    workerCount: () => broker.stats().services.echo?.idle ?? 0,
    close: () => broker.close(),
  }
}

let load: ChildProcess | undefined

/** The next message from the load process, failing if it exits or errs first. */
function next(child: ChildProcess): Promise<LoadMessage> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`the load process exited (${signal ?? `code ${code}`})`))
    child.once('exit', onExit)
    child.once('message', (message: LoadMessage) => {
      child.off('exit', onExit)
      if ('error' in message) reject(new Error(`the load process failed: ${message.error}`))
      else resolve(message)
    })
  })
}

async function main(job: MajordomoJob): Promise<MajordomoRun[]> {
  const middle = await startMiddle(job)
  try {
    const workerCount = job.params.actors ?? mdpWorkers
    const setup: LoadSetup = {
      subject: job.subject,
      clients: middle.clients,
      workers: middle.workers,
      workerCount,
      inFlight: mdpInFlight,
    }
    const child = fork(
      fileURLToPath(new URL('./majordomo-load.ts', import.meta.url)),
      [JSON.stringify(setup)],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    )
    load = child
    await next(child)
    // Every worker known (and idle) before the clock starts.
    while (middle.workerCount() < workerCount) await new Promise((resolve) => setTimeout(resolve, 5))
    const runs = await timedRuns(job, async (params) => {
      const cpu = process.cpuUsage()
      child.send({ run: params.count } satisfies LoadCommand)
      const message = await next(child)
      const used = process.cpuUsage(cpu)
      if (!('ms' in message)) throw new Error('the load process answered without a time')
      return {
        ms: message.ms,
        middleCpuUs: (used.user + used.system) / params.count,
        loadCpuUs: message.cpuUs / params.count,
      }
    })
    const exited = once(child, 'exit')
    child.send({ stop: true } satisfies LoadCommand)
    await exited
    load = undefined
    return runs
  } finally {
    await middle.close()
  }
}

runJob<MajordomoJob, MajordomoRun>('majordomo-job.ts', main, () => load?.kill('SIGKILL'))
