import { readFileSync } from 'node:fs'

/** Whether `pid` no longer runs: no such process, or a zombie nobody has reaped yet. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

/** Polls until every pid is gone or `ms` pass; returns the pids still running. */
export async function stillRunning(pids: number[], ms: number): Promise<number[]> {
  const deadline = performance.now() + ms
  while (pids.some((pid) => !processGone(pid)) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return pids.filter((pid) => !processGone(pid))
}
