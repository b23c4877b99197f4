import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root } from '../../support/run-node.ts'

/** How a `troupe` process ended. */
export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A `troupe` command running in its own process group, killed by {@link killAll} at the latest. */
export interface CliProcess {
  readonly child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves when stdout holds `text`; rejects at the deadline or when the process exits first. */
  waitFor(text: string, timeoutMs?: number): Promise<void>
  /** Resolves when the process has exited (and its output is read); rejects at the deadline. */
  exited(timeoutMs?: number): Promise<Exit>
  /** SIGKILLs the whole process group (the launcher and the node it re-executes). */
  kill(): Promise<void>
}

const running = new Set<CliProcess>()

/** How {@link troupe} starts the command. */
export interface TroupeOptions {
  /** Run `src/cli/main.ts` directly instead of `bin/troupe.mjs`. */
  direct?: boolean
  /** Run this `troupe` bin (an installed copy's) instead of the project's. */
  bin?: string
  /** The command's working folder. @default the project's root */
  cwd?: string
  /** Written to the command's standard input, which is then closed. @default '' */
  stdin?: string
}

/**
 * Starts `node bin/troupe.mjs ...args` from the project's root, or `node --conditions=source
 * --import tsx src/cli/main.ts ...args` with `direct`.
 */
export function troupe(args: string[], options: TroupeOptions = {}): CliProcess {
  const entry = options.direct
    ? ['--conditions=source', '--import', 'tsx', 'src/cli/main.ts']
    : [options.bin ?? 'bin/troupe.mjs']
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.TROUPE_LOG_LEVEL
  delete env.TROUPE_COOKIE
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? root,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  // A command that exits without reading its input breaks the pipe: its exit tells the test why.
  child.stdin.on('error', () => {})
  child.stdin.end(options.stdin ?? '')
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
  })
  const closed = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  )
  const describe = () => `troupe ${args.join(' ')}\n--- stdout\n${out}--- stderr\n${err}`
  const cli: CliProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(text, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) done()
        }
        const onClose = () => done(new Error(`exited before printing '${text}':\n${describe()}`))
        const timer = setTimeout(
          () => done(new Error(`no '${text}' within ${timeoutMs} ms:\n${describe()}`)),
          timeoutMs,
        )
        const done = (error?: Error) => {
          clearTimeout(timer)
          child.stdout.off('data', check)
          child.off('close', onClose)
          if (error === undefined) resolve()
          else reject(error)
        }
        child.stdout.on('data', check)
        child.once('close', onClose)
        check()
      })
    },
    exited(timeoutMs = 15_000) {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`still running after ${timeoutMs} ms:\n${describe()}`)),
          timeoutMs,
        )
      })
      return Promise.race([closed, late]).finally(() => clearTimeout(timer))
    },
    async kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // the group is gone already
      }
      await closed
      running.delete(cli)
    },
  }
  running.add(cli)
  return cli
}

/** Runs a `troupe` command to its end. */
export async function troupeRun(
  args: string[],
  options: TroupeOptions & { timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const cli = troupe(args, options)
  const exit = await cli.exited(options.timeoutMs)
  return { ...exit, stdout: cli.stdout(), stderr: cli.stderr() }
}

/** Kills every `troupe` process the test started that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((cli) => cli.kill()))
}

/** A temporary folder with a cookie file in it, and a function that removes it. */
export function cookieFolder(): { dir: string; cookie: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-cli-'))
  const cookie = join(dir, 'cookie')
  writeFileSync(cookie, 'cli-test-cookie-0123456789\n', { mode: 0o600 })
  return { dir, cookie, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
