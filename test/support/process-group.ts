import { spawn } from 'node:child_process'
import { groupMembers, runsNode } from './process-tree.ts'
import { stillRunning } from './processes.ts'

/** How a program run by {@link runInProcessGroup} ended, with everything it printed. */
export interface GroupRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** It was still running at the deadline, and its group was killed. */
  timedOut: boolean
  /** The most processes its group had at once (counted where `/proc` exists, else 1). */
  mostProcesses: number
  /** The most of them at once that ran node (tsx's esbuild services do not), the program included. */
  mostNodeProcesses: number
  /** Its group grew past `maxProcesses`, and was killed. */
  tooManyProcesses: boolean
}

/** Options of {@link runInProcessGroup}. */
export interface GroupRunOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** When the group is killed if the program has not exited. */
  timeoutMs: number
  /** Kill the group as soon as it has more processes than this: a program that forks without end. */
  maxProcesses: number
}

const POLL_MS = 50
const REAP_MS = 10_000

/**
 * Runs `command args` as the leader of a process group of its own and resolves when it has exited.
 * Every process it starts (children, grandchildren) is in that group: the group is killed with
 * SIGKILL at the deadline, when it grows past `maxProcesses`, and after the leader's exit (what is
 * left then), and the run resolves only once none of them runs any more.
 */
export function runInProcessGroup(
  command: string,
  args: string[],
  options: GroupRunOptions,
): Promise<GroupRun> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const group = child.pid
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  let timedOut = false
  let tooManyProcesses = false
  let mostProcesses = 1
  let mostNodeProcesses = 1
  const killGroup = () => {
    if (group === undefined) return
    try {
      process.kill(-group, 'SIGKILL')
    } catch {}
  }
  const deadline = setTimeout(() => {
    timedOut = true
    killGroup()
  }, options.timeoutMs)
  const watch = setInterval(() => {
    if (group === undefined) return
    const members = groupMembers(group)
    const count = members.length
    mostProcesses = Math.max(mostProcesses, count)
    mostNodeProcesses = Math.max(mostNodeProcesses, members.filter(runsNode).length)
    if (count > options.maxProcesses) {
      tooManyProcesses = true
      killGroup()
    }
  }, POLL_MS)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  // The output pipes close once every process holding them (grandchildren inherit them) is gone.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  return exited
    .then(async ({ code, signal }) => {
      const left = group === undefined ? [] : groupMembers(group)
      killGroup()
      await stillRunning(left, REAP_MS)
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, REAP_MS).unref())])
      return { code, signal, stdout, stderr, timedOut, mostProcesses, mostNodeProcesses, tooManyProcesses }
    })
    .finally(() => {
      clearTimeout(deadline)
      clearInterval(watch)
    })
}
