import { Writable } from 'node:stream'
import { pino } from 'pino'
import { type ActorSystem, failAfter, start } from 'troupe'
import { afterEach } from 'vitest'

/** Log lines a system wrote, to wait on. */
export interface CapturedLines {
  readonly lines: { level: number; msg: string }[]
  waitFor(match: RegExp, ms?: number): Promise<{ level: number; msg: string }>
}

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

/** Runs `cleanup` after the test, even when it fails. */
export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup)
}

/** A local system whose log lines are captured; shut down after the test. */
export async function testSystem(): Promise<{ system: ActorSystem; log: CapturedLines }> {
  const lines: { level: number; msg: string }[] = []
  const waiting = new Set<() => void>()
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line))
      for (const wake of [...waiting]) wake()
      done()
    },
  })
  const system = await start({ logger: pino({ level: 'debug' }, stream) })
  onCleanup(() => system.shutdown())
  const log: CapturedLines = {
    lines,
    waitFor: (match, ms = 5000) =>
      failAfter(
        ms,
        () =>
          new Promise((resolve) => {
            const check = () => {
              const found = lines.find((line) => match.test(line.msg))
              if (found === undefined) return
              waiting.delete(check)
              resolve(found)
            }
            waiting.add(check)
            check()
          }),
      ),
  }
  return { system, log }
}

/** A promise and its resolve, for a test to wait on what a component saw. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}
