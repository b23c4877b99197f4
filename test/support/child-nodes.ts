import type { ChildProcess } from 'node:child_process'
import type { Worker } from 'node:worker_threads'
import type { ActorSystem, ChildNode } from 'troupe'
import { afterEach } from 'vitest'
import { within } from '../integration/transport/support.ts'

/** Ends a child node at once if it still runs: SIGKILL for a process, `terminate()` for a thread. */
export function killChild(child: ChildNode): void {
  if (child.in === 'process') {
    const handle = child.handle as ChildProcess
    if (handle.exitCode === null && handle.signalCode === null) handle.kill('SIGKILL')
  } else {
    void (child.handle as Worker).terminate()
  }
}

/** Kills the child nodes (and empties the list), then waits until each has exited. */
export async function reapChildren(children: ChildNode[]): Promise<void> {
  await Promise.all(
    children.splice(0).map(async (child) => {
      killChild(child)
      await within(child.exited, 10_000, `child ${child.node} to exit`)
    }),
  )
}

/**
 * The systems and child nodes a test file starts: after each test, even a failed one, the children
 * still running are killed and awaited, then the systems are shut down.
 */
export function reapAfterEach(): { systems: ActorSystem[]; children: ChildNode[] } {
  const systems: ActorSystem[] = []
  const children: ChildNode[] = []
  afterEach(async () => {
    await reapChildren(children)
    await Promise.all(systems.splice(0).map((system) => system.shutdown()))
  })
  return { systems, children }
}
