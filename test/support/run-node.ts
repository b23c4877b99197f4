import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The project's root folder. */
export const root = fileURLToPath(new URL('../..', import.meta.url))

/** How a process run by {@link runTypeScript} ended, with everything it printed. */
export interface NodeRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** It was still running at the deadline and was killed. */
  timedOut: boolean
}

/**
 * Runs `node --import tsx --conditions=source ...args` from the project root (plain `node ...args`
 * with `plain`) and resolves when it exits. It is killed with SIGKILL at the deadline, so a test
 * never leaves it behind.
 */
export function runTypeScript(
  args: string[],
  options: { timeoutMs: number; nodeFlags?: string[]; plain?: boolean; env?: NodeJS.ProcessEnv },
): Promise<NodeRun> {
  const loader = options.plain === true ? [] : ['--import', 'tsx', '--conditions=source']
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...loader, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env === undefined ? {} : { env: options.env }),
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  return new Promise((resolve, reject) => {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    })
    // 'close' comes after the output streams have drained.
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, timedOut })
    })
  })
}
