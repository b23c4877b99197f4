import type { Worker } from 'node:worker_threads'
import type { Connection } from '../transport.ts'

/** A thread started by `spawnThread`, as `terminateThread` needs it. */
export interface TrackedThread {
  readonly connection: Connection
  /** Resolves with the exit code once the thread has exited. */
  readonly exited: Promise<number>
}

const threads = new WeakMap<Worker, TrackedThread>()

/** Remembers the connection and exit of a worker that `spawnThread` started. @internal */
export function trackThread(worker: Worker, connection: Connection, exited: Promise<number>): void {
  threads.set(worker, { connection, exited })
}

/** The connection and exit of a worker that `spawnThread` started, if it did. @internal */
export function trackedThread(worker: Worker): TrackedThread | undefined {
  return threads.get(worker)
}
