import type { ChildProcess } from 'node:child_process'
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads'

/** The child processes this thread has forked with `spawnProcess` and that still run. */
const live = new Set<ChildProcess>()
/** How each one is ended gracefully (its connection closed), once it has one. */
const closers = new WeakMap<ChildProcess, () => void>()
let hooked = false

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

// However this thread ends (process.exit(), an uncaught error), the children it has die with it:
// an 'exit' listener runs synchronously, and SIGKILL needs no answer from them.
function killAll(): void {
  for (const child of live) {
    try {
      if (running(child)) child.kill('SIGKILL')
    } catch {
      // gone already
    }
  }
}

/** Records a forked child until it exits; the first one hooks this thread's exit. */
export function trackChild(child: ChildProcess): void {
  if (!running(child)) return
  live.add(child)
  announce(child.pid, true)
  child.once('exit', () => {
    live.delete(child)
    announce(child.pid, false)
  })
  if (!hooked) {
    hooked = true
    process.on('exit', killAll)
  }
}

// A worker thread ended by terminate() runs no exit listener: the thread that started it kills the
// child processes it left, which worker threads announce on this channel as they start and end.
const ANNOUNCEMENTS = 'troupe.child-processes-of-threads'

interface Announcement {
  readonly thread: number
  readonly pid: number
  readonly running: boolean
}

let announcer: BroadcastChannel | undefined

function announce(pid: number | undefined, running: boolean): void {
  if (isMainThread || pid === undefined) return
  if (announcer === undefined) {
    announcer = new BroadcastChannel(ANNOUNCEMENTS)
    announcer.unref()
  }
  const announcement: Announcement = { thread: threadId, pid, running }
  announcer.postMessage(announcement)
}

let listener: BroadcastChannel | undefined
const ofThreads = new Map<number, Set<number>>()
/** Threads ended already: a child process they announce late is killed as the news comes. */
const endedThreads = new Set<number>()

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // gone already
  }
}

/**
 * Follows the child processes that worker threads start, so that {@link killChildProcessesOfThread}
 * can end those a thread leaves. Call it before starting the worker.
 */
export function followChildProcessesOfThreads(): void {
  if (listener !== undefined) return
  listener = new BroadcastChannel(ANNOUNCEMENTS)
  listener.unref()
  listener.onmessage = (event) => {
    const { thread, pid, running } = (event as { data: Announcement }).data
    if (running && endedThreads.has(thread)) return kill(pid)
    const pids = ofThreads.get(thread) ?? new Set<number>()
    if (running) pids.add(pid)
    else pids.delete(pid)
    if (pids.size === 0) ofThreads.delete(thread)
    else ofThreads.set(thread, pids)
  }
}

/** Once worker thread `thread` has ended: SIGKILLs the child processes it left running. */
export function killChildProcessesOfThread(thread: number): void {
  endedThreads.add(thread)
  for (const pid of ofThreads.get(thread) ?? []) kill(pid)
  ofThreads.delete(thread)
}

/** Records how to close a tracked child's connection, for {@link endChildProcesses}. */
export function trackClose(child: ChildProcess, close: () => void): void {
  closers.set(child, close)
}

/**
 * Ends every child process this thread still has: gracefully first (its connection is closed,
 * which makes a Troupe child shut down and exit), and with SIGKILL for those still running after
 * `graceMs` (and at once for those that have not said hello yet). Resolves once all have exited.
 */
export async function endChildProcesses(graceMs: number): Promise<void> {
  await Promise.all(
    [...live].map(async (child) => {
      if (!running(child)) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      const close = closers.get(child)
      // One still starting has nothing to finish.
      if (close === undefined) child.kill('SIGKILL')
      else close()
      const timer = setTimeout(() => {
        if (running(child)) child.kill('SIGKILL')
      }, graceMs)
      try {
        await exited
      } finally {
        clearTimeout(timer)
      }
    }),
  )
}
