import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { failAfter } from 'troupe'
import type { Broker, MdpLogger } from '../../../src/flow/majordomo/index.ts'

/** A logger that keeps what it is given, for tests to read. */
export function captureLogger(): MdpLogger & { warnings: { obj: object; msg: string }[] } {
  const warnings: { obj: object; msg: string }[] = []
  return { warnings, warn: (obj, msg) => warnings.push({ obj, msg }), info: () => {}, debug: () => {} }
}

/** Waits until `condition` holds, checking each turn of the event loop, failing after `ms`. */
export function until(condition: () => boolean, ms = 5000): Promise<void> {
  return failAfter(ms, async (signal) => {
    while (!condition()) {
      signal.throwIfAborted()
      await new Promise((resolve) => setImmediate(resolve))
    }
  })
}

/** Waits until the broker has `count` idle workers for `service`. */
export function idleWorkers(broker: Broker, service: string, count: number, ms = 5000): Promise<void> {
  return until(() => (broker.stats().services[service]?.idle ?? 0) >= count, ms)
}

/** Things to close after a test, closed in reverse order even when one of them fails. */
export class Cleanup {
  private readonly steps: (() => unknown)[] = []
  add<T>(value: T, close: (value: T) => unknown): T {
    this.steps.push(() => close(value))
    return value
  }
  async run(): Promise<void> {
    const errors: unknown[] = []
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step()
      } catch (error) {
        errors.push(error)
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed')
  }
}

/** Stops a child process and waits for its exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  await exited
}

/** Lines a child writes to stdout, and a way to wait for one that matches. */
export function linesOf(child: ChildProcess): {
  lines: string[]
  waitFor(match: RegExp, ms?: number): Promise<string>
} {
  const lines: string[] = []
  let rest = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    rest += chunk
    const parts = rest.split('\n')
    rest = parts.pop()!
    lines.push(...parts)
  })
  return {
    lines,
    waitFor: async (match, ms = 10_000) => {
      await until(() => lines.some((line) => match.test(line)) || child.exitCode !== null, ms)
      const line = lines.find((l) => match.test(l))
      if (line === undefined) throw new Error(`the child exited (${child.exitCode}) before printing ${match}`)
      return line
    },
  }
}

export const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/mdp/${name}`, import.meta.url))

/** Runs a TypeScript fixture in a child process, with its stderr passed through. */
export function spawnTs(name: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--conditions=source', fixture(name), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

/**
 * A Python interpreter that can `import zmq`, or undefined. The system one comes first: it has
 * Debian's python3-zmq, where a `python3` earlier on PATH may not.
 */
export function pythonWithZmq(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import zmq'], { stdio: 'ignore' })
    if (probe.status === 0) return candidate
  }
  return undefined
}
