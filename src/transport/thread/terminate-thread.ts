import type { Worker } from 'node:worker_threads'
import { trackedThread } from './thread-registry.ts'

/**
 * Ends a thread: asks nicely first, by closing its connection cleanly (a thread that follows the
 * convention of `connectParent` exits when its connection closes), then calls `worker.terminate()`
 * if the thread has not exited within `graceMs` (a thread stuck in a synchronous loop is stopped
 * there too: V8 interrupts it). Resolves with the exit code once the thread has exited; never rejects.
 *
 * @param worker a worker from `spawnThread` (for another worker, it is terminated after `graceMs`).
 * @param graceMs how long the thread may take to exit by itself.
 *
 * @example
 * ```ts
 * const { worker } = await spawnThread(options)
 * const code = await terminateThread(worker, 1_000)
 * ```
 */
export async function terminateThread(worker: Worker, graceMs: number): Promise<number> {
  const tracked = trackedThread(worker)
  const exited = tracked?.exited ?? new Promise<number>((resolve) => worker.once('exit', resolve))
  if (worker.threadId === -1) return tracked === undefined ? 0 : exited
  tracked?.connection.close()
  let timer: NodeJS.Timeout | undefined
  const grace = new Promise<'grace'>((resolve) => {
    timer = setTimeout(() => resolve('grace'), graceMs)
  })
  try {
    if ((await Promise.race([exited, grace])) === 'grace') void worker.terminate()
    return await exited
  } finally {
    clearTimeout(timer)
  }
}
