// What tests read of the process tree, from /proc (they run on Linux).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { failAfter, sleep } from 'troupe'

/** The fields of /proc/<path>/stat after the command: [0] is the state, [1] the parent. */
function statFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${path}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** The CPU time used so far (user and system, in clock ticks) by a process, or by one of its threads. */
export function cpuTicks(pid: number, tid?: number): number {
  const fields = statFields(tid === undefined ? `${pid}` : `${pid}/task/${tid}`)
  if (fields === undefined)
    throw new Error(`no process ${pid}${tid === undefined ? '' : ` with thread ${tid}`}`)
  return Number(fields[11]) + Number(fields[12])
}

/**
 * Resolves once process `pid` (or its thread `tid`: the main thread's is the pid) has used `ticks`
 * more ticks of CPU time, that is once it spins; rejects after 10 s.
 */
export async function untilSpinning(pid: number, tid?: number, ticks = 10): Promise<void> {
  const before = cpuTicks(pid, tid)
  await failAfter(10_000, async () => {
    while (cpuTicks(pid, tid) - before < ticks) await sleep(20)
  })
}

/** The processes below `pid` now (children, their children, and so on). */
export function descendantsOf(pid: number): number[] {
  const childrenOf = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const fields = statFields(name)
    if (fields === undefined || fields[0] === 'Z') continue
    const parent = Number(fields[1])
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), Number(name)])
  }
  const found: number[] = []
  const next = [pid]
  while (next.length > 0) {
    for (const child of childrenOf.get(next.pop()!) ?? []) {
      found.push(child)
      next.push(child)
    }
  }
  return found
}

/** The command line of a process, its arguments joined by spaces ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** SIGKILLs every pid still running (a test's cleanup: each may be gone already). */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}

/** Whether `pid` runs this very node executable (tsx's esbuild service, say, does not). */
export function runsNode(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === process.execPath
  } catch {
    return false
  }
}

/** The pids of the live (not zombie) processes of the process group `group`. */
export function groupMembers(group: number): number[] {
  if (!existsSync('/proc/self/stat')) return []
  const members: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    // After the command's name: state, parent pid, process group, …
    const fields = statFields(name)
    if (fields !== undefined && fields[0] !== 'Z' && Number(fields[2]) === group) members.push(Number(name))
  }
  return members
}
