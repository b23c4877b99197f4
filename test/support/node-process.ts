import { type ChildProcess, spawn } from 'node:child_process'
import { root } from './run-node.ts'

/** A TypeScript program started in its own process, which a test must `kill()` in its cleanup. */
export interface NodeProcess {
  readonly child: ChildProcess
  output(): string
  /** Resolves when the process has printed `line` (on stdout or stderr); rejects at the deadline or if it exits first. */
  waitFor(line: string, timeoutMs?: number): Promise<void>
  /** SIGKILLs the process (and resumes it first if it was stopped); resolves when it has exited. */
  kill(): Promise<void>
}

export function startProcess(args: string[]): NodeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    output: () => out,
    waitFor(line, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`no '${line}' within ${timeoutMs} ms; output:\n${out}`)),
          timeoutMs,
        )
        const check = () => {
          if (out.includes(line)) done()
        }
        const onExit = () => done(new Error(`exited before printing '${line}'; output:\n${out}`))
        const done = (error?: Error) => {
          clearTimeout(timer)
          child.stdout?.off('data', check)
          child.stderr?.off('data', check)
          child.off('exit', onExit)
          if (error) reject(error)
          else resolve()
        }
        child.stdout?.on('data', check)
        child.stderr?.on('data', check)
        child.once('exit', onExit)
        check()
      })
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT')
        child.kill('SIGKILL')
      }
      await exited
    },
  }
}
