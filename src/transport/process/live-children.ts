import type { ChildProcess } from 'node:child_process'

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
  child.once('exit', () => live.delete(child))
  if (!hooked) {
    hooked = true
    process.on('exit', killAll)
  }
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
