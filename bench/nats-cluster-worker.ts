/**
 * The NATS cluster figures, in a fresh process that owns the node processes it starts
 * (`nats-member.mjs`, each a member of the job's cluster): forked by run.ts with a `NatsJob`, it
 * answers with one `WorkerReport` over IPC and exits, SIGKILLing every member first, on success,
 * failure or timeout (members also exit when their IPC channel closes).
 *
 *   nats-name-gone      a survivor node in this process and victims in their own processes, one
 *                       killed at a time: per SIGKILL, the time until the survivor's `findActor`
 *                       no longer finds the victim's name (polled every millisecond), and until
 *                       its watch of the named actor ends with node-down. Two victims are warm at
 *                       any time: when one is killed, the one after next starts, and joins while
 *                       the survivor detects the kill.
 *   nats-heartbeats-N   N member processes, started two at a time; once every one has been heard
 *                       on `<prefix>.hb.>` and a second has passed, a raw subscriber on `>` counts
 *                       every message on the server over a window, by kind.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from '@nats-io/transport-node'
import { defineActor, start } from 'troupe'
import { runJob } from './job-runner.ts'
import {
  heartbeatLiveness,
  type MemberSpec,
  type NatsJob,
  type NatsRun,
  nameGoneLiveness,
  natsCookie,
} from './nats.ts'

const benchDir = dirname(fileURLToPath(import.meta.url))
const members = new Set<ChildProcess>()

function killMembers(): void {
  for (const member of members) member.kill('SIGKILL')
}

/** A member process, once it said `ready`; `exited` resolves when it is gone. */
interface Member {
  child: ChildProcess
  exited: Promise<void>
}

function startMember(job: NatsJob, spec: Omit<MemberSpec, 'url' | 'prefix' | 'cookie'>): Promise<Member> {
  const full: MemberSpec = { ...spec, url: job.url, prefix: job.prefix, cookie: natsCookie }
  const child = fork(join(benchDir, 'nats-member.mjs'), [JSON.stringify(full)], {
    execArgv: job.source ? ['--import', 'tsx', '--conditions=source'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  members.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => members.delete(child))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.node} was not ready within 30 s`)), 30_000)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${spec.node} exited (${signal ?? `code ${code}`}) before it was ready`))
    })
    child.once('message', () => {
      clearTimeout(timer)
      resolve({ child, exited })
    })
  })
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const Idle = defineActor<unknown>({ receive: (state) => state })

async function nameGone(job: NatsJob): Promise<NatsRun> {
  const survivor = await start({
    node: 'survivor',
    nats: { servers: job.url, prefix: job.prefix },
    cookie: natsCookie,
    logLevel: 'silent',
    ...nameGoneLiveness,
  })
  survivor.spawn(Idle, { name: 'survivor-idle' })
  const kills = job.params.count
  const goneMs: number[] = []
  const terminatedMs: number[] = []
  const watches: Promise<number>[] = []
  const victim = (i: number) => {
    const id = String(i).padStart(3, '0')
    return startMember(job, { node: `victim-${id}`, name: `held-${id}`, ...nameGoneLiveness })
  }
  const began = performance.now()
  try {
    // Two warm victims at any time: the one to kill and the next, each started while an earlier one is detected.
    const warm = [victim(0), ...(kills > 1 ? [victim(1)] : [])]
    for (let i = 0; i < kills; i++) {
      const current = await warm.shift()!
      const name = `held-${String(i).padStart(3, '0')}`
      const ref = await survivor.waitForActor(name, { timeout: 10_000 })
      // An ask first, so that the survivor is connected to the victim when it watches and kills it.
      await ref.ask('hello', { timeout: 10_000 })
      let killedAt = 0
      const terminated = survivor.watch(ref).then((end) => {
        if (end.reason !== 'node-down') throw new Error(`the watch of ${name} ended ${end.reason}`)
        return performance.now() - killedAt
      })
      killedAt = performance.now()
      current.child.kill('SIGKILL')
      if (i + 2 < kills) warm.push(victim(i + 2))
      while ((await survivor.findActor(name)) !== undefined) {
        if (performance.now() - killedAt > 30_000) throw new Error(`${name} still found 30 s after the kill`)
        await sleep(1)
      }
      goneMs.push(performance.now() - killedAt)
      // The watch may end later than the name goes: the next kill does not wait for it.
      watches.push(terminated)
      await current.exited
    }
    terminatedMs.push(...(await Promise.all(watches)))
    return { ms: performance.now() - began, goneMs, terminatedMs }
  } finally {
    killMembers()
    await survivor.shutdown()
  }
}

/** Which kind of message a subject is, for the heartbeat figures' counts. */
function kindOf(subject: string, prefix: string): string {
  if (subject.startsWith(`${prefix}.hb.`)) return 'heartbeats'
  if (subject.startsWith(`${prefix}.`)) return 'prefix'
  if (subject.startsWith('$KV.')) return '$KV'
  if (subject.startsWith('$JS.')) return '$JS'
  if (subject.startsWith('_INBOX.')) return '_INBOX'
  return `other (${subject.split('.')[0]})`
}

async function heartbeats(job: NatsJob): Promise<NatsRun> {
  const nodes = job.params.actors ?? 3
  const client = await connect({ servers: job.url })
  const heard = new Set<string>()
  let counts: Record<string, number> = {}
  let counting = false
  client.subscribe('>', {
    callback: (_error, msg) => {
      const kind = kindOf(msg.subject, job.prefix)
      if (kind === 'heartbeats') heard.add(msg.subject)
      if (counting) counts[kind] = (counts[kind] ?? 0) + 1
    },
  })
  await client.flush()
  try {
    const names = Array.from({ length: nodes }, (_, i) => `m-${String(i).padStart(2, '0')}`)
    // Two at a time: thirty Node processes starting at once on two cores starve each other's timers.
    for (let i = 0; i < names.length; i += 2) {
      await Promise.all(names.slice(i, i + 2).map((node) => startMember(job, { node, ...heartbeatLiveness })))
    }
    const deadline = performance.now() + 30_000
    while (heard.size < nodes) {
      if (performance.now() > deadline) throw new Error(`heard ${heard.size} of ${nodes} members' heartbeats`)
      await sleep(heartbeatLiveness.heartbeatIntervalMs)
    }
    await sleep(1_000)
    heard.clear()
    counts = {}
    counting = true
    const began = performance.now()
    await sleep(job.params.count)
    counting = false
    const ms = performance.now() - began
    if (heard.size !== nodes) throw new Error(`heard ${heard.size} of ${nodes} members in the window`)
    return { ms, counts }
  } finally {
    killMembers()
    await client.close()
  }
}

async function main(job: NatsJob): Promise<NatsRun[]> {
  return [job.workload === 'nats-name-gone' ? await nameGone(job) : await heartbeats(job)]
}

runJob<NatsJob, NatsRun>('nats-cluster-worker.ts', main, killMembers)
