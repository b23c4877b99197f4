/**
 * The MajorDomo figure by hand, several rounds, the floor and the broker alternately so that the
 * machine's drift falls on both:
 *
 *   npx tsx --conditions=source bench/majordomo.ts [--rounds 3] [--requests 20000] [--credit 1]
 *
 * Each round runs `majordomo-job.ts` once per subject, in a fresh process as `npm run bench`
 * does (`--only mdp-broker` runs the same job there): the raw ZeroMQ relay (floor), then the
 * MajorDomo broker, each with the client and 4 echo workers in one other process. It prints each
 * run's requests per second, and the best of each subject with their ratio. `--credit n` lets
 * the relay give each worker n requests at a time (MDP gives one): what pipelining would give.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { JobReport } from './job-runner.ts'
import {
  type MajordomoJob,
  type MajordomoRun,
  type MajordomoSubjectName,
  mdpInFlight,
  mdpWorkers,
} from './majordomo-figures.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '20000' },
    credit: { type: 'string', default: '1' },
  },
})
const rounds = Number(values.rounds)
const requests = Number(values.requests)
const script = fileURLToPath(new URL('./majordomo-job.ts', import.meta.url))

function runJob(subject: MajordomoSubjectName): Promise<JobReport<MajordomoRun>> {
  const job: MajordomoJob = {
    subject,
    workload: 'mdp-broker',
    params: { count: requests, actors: mdpWorkers },
    warmup: { count: Math.max(1, Math.round(requests / 10)), actors: mdpWorkers },
    repeatBelowMs: 2_000,
    maxRuns: 3,
    timeoutMs: 300_000,
    relayCredit: Number(values.credit),
  }
  return new Promise((resolve) => {
    const child = fork(script, [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let report: JobReport<MajordomoRun> | undefined
    child.on('message', (message) => {
      report = message as JobReport<MajordomoRun>
    })
    child.on('exit', (code) =>
      resolve(report ?? { ok: false, error: `exited (code ${code}) without a report` }),
    )
  })
}

const best: Record<MajordomoSubjectName, number> = { floor: 0, troupe: 0 }
const name: Record<MajordomoSubjectName, string> = { floor: 'raw ZeroMQ relay', troupe: 'MajorDomo broker' }
for (let round = 1; round <= rounds; round++) {
  for (const subject of ['floor', 'troupe'] as const) {
    const report = await runJob(subject)
    if (!report.ok) {
      console.log(`round ${round}, ${name[subject]}: FAILED ${report.error}`)
      process.exitCode = 1
      continue
    }
    const rates = report.runs.map((run) => requests / (run.ms / 1_000))
    best[subject] = Math.max(best[subject], ...rates)
    const cpu = report.runs
      .map((run) => `${run.middleCpuUs?.toFixed(1)}/${run.loadCpuUs?.toFixed(1)}`)
      .join(', ')
    console.log(
      `round ${round}, ${name[subject]}: ${rates.map((r) => Math.round(r)).join(', ')} req/s; ` +
        `CPU a request (us, middle/load process): ${cpu}`,
    )
  }
}
console.log(
  `best of ${rounds} rounds, ${mdpWorkers} workers, ${mdpInFlight} in flight: MajorDomo ${Math.round(best.troupe)} req/s, ` +
    `raw relay ${Math.round(best.floor)} req/s (${(best.troupe / best.floor).toFixed(2)}x floor)`,
)
