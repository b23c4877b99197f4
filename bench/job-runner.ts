/**
 * The frame every bench worker process shares: read the job from argv, run it under a watchdog,
 * answer run.ts with one report over IPC (or on stdout when run by hand) and exit.
 */

/** What a worker answers: the timed runs, or why there are none. */
export type JobReport<R> = { ok: true; runs: R[] } | { ok: false; error: string; detail?: string }

/** Sends the report and exits with `code`; `beforeExit` runs first (children to kill). */
export function reportAndExit<R>(
  message: JobReport<R>,
  code: number,
  beforeExit: () => void = () => {},
): void {
  beforeExit()
  if (!process.send) {
    console.log(JSON.stringify(message))
    process.exit(code)
  }
  process.send(message, () => process.exit(code))
}

/** A thrown value as a failed report. */
export function failureOf(error: unknown): JobReport<never> {
  return error instanceof Error
    ? { ok: false, error: `${error.name}: ${error.message}`, detail: error.stack ?? '' }
    : { ok: false, error: String(error) }
}

/**
 * Runs `main` on the job in argv[2] (JSON) and reports; `script` names the worker in the usage
 * error. The worker never outlives run.ts, and an uncaught exception fails the job.
 */
export function runJob<J extends { timeoutMs: number }, R>(
  script: string,
  main: (job: J) => Promise<R[]>,
  beforeExit: () => void = () => {},
): void {
  process.on('disconnect', () => process.exit(1))
  process.on('uncaughtException', (error) => reportAndExit(failureOf(error), 1, beforeExit))
  const job = JSON.parse(process.argv[2] ?? 'null') as J | null
  if (!job) {
    reportAndExit({ ok: false, error: `usage: ${script} <job as JSON>` }, 2, beforeExit)
    return
  }
  const watchdog = setTimeout(
    () => reportAndExit({ ok: false, error: `no result after ${job.timeoutMs} ms` }, 3, beforeExit),
    job.timeoutMs,
  )
  main(job).then(
    (runs) => {
      clearTimeout(watchdog)
      reportAndExit({ ok: true, runs }, 0, beforeExit)
    },
    (error: unknown) => {
      clearTimeout(watchdog)
      reportAndExit(failureOf(error), 1, beforeExit)
    },
  )
}

/** Two full collections, so that a run does not pay for the garbage of the one before. */
export function collect(): void {
  if (!globalThis.gc) throw new Error('run the worker with --expose-gc')
  globalThis.gc()
  globalThis.gc()
}

/** What the timing loop needs of a job. */
export interface TimedJob<P> {
  params: P
  warmup: P | null
  repeatBelowMs: number
  maxRuns: number
}

/**
 * A warm-up run at `job.warmup` (if any), then measured runs at `job.params`, repeated while the
 * first took under `repeatBelowMs`, up to `maxRuns`. `measure` calls `collect()` once set up.
 */
export async function timedRuns<P, R extends { ms: number }>(
  job: TimedJob<P>,
  measure: (params: P) => Promise<R>,
): Promise<R[]> {
  if (job.warmup) await measure(job.warmup)
  const runs = [await measure(job.params)]
  while (runs.length < job.maxRuns && runs[0]!.ms < job.repeatBelowMs) runs.push(await measure(job.params))
  return runs
}
