import { randomUUID } from 'node:crypto'
import { isMainThread, workerData } from 'node:worker_threads'
import { type Logger, pino } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import { nameProblem } from '../handshake-messages.ts'
import type { Connection } from '../transport.ts'
import { PortConnection } from './port-connection.ts'
import { isThreadWorkerData, type ThreadControl } from './thread-messages.ts'

/** Options of {@link connectParent}. */
export interface ConnectParentOptions {
  /** This run of the thread's node. @default a random UUID */
  incarnation?: string
  /** A pino logger for the connection's log lines. @default a silent logger */
  logger?: Logger
}

/** What {@link connectParent} gives the thread. */
export interface ParentLink {
  /** The connection to the parent; its `peer` is the parent's node and incarnation, its `local` this thread's. */
  readonly connection: Connection
  /** The `data` given to `spawnThread`. */
  readonly data: unknown
}

/**
 * Connects a thread started by `spawnThread` to its parent: reads `workerData`, says hello (this
 * thread's node name and incarnation) and returns the connection with the initial `data`. Call it
 * once. The open connection keeps the thread alive; when it closes, end the thread's work (stop its
 * system) so the thread exits and `terminateThread` need not wait for its grace period.
 *
 * @throws Error in the main thread, or in a worker that `spawnThread` did not start.
 *
 * @example
 * ```ts
 * const { connection, data } = await connectParent()
 * connection.onFrame((body) => connection.send(body))
 * await connection.closed()
 * ```
 */
export async function connectParent(options: ConnectParentOptions = {}): Promise<ParentLink> {
  if (isMainThread || !isThreadWorkerData(workerData))
    throw new Error('connectParent() runs only in a thread started by spawnThread()')
  const incarnation = options.incarnation ?? randomUUID()
  const problem = nameProblem(incarnation)
  if (problem !== undefined) throw new InvalidOptionError('incarnation', problem)
  const { port, parent, node, maxFrameBytes, closeTimeoutMs, data } = workerData
  const connection = new PortConnection(port, {
    local: { node, incarnation },
    peer: parent,
    remoteAddress: `parent ${parent.node}`,
    maxFrameBytes,
    closeTimeoutMs,
    logger: options.logger ?? pino({ level: 'silent' }),
  })
  const hello: ThreadControl = { type: 'hello', node, incarnation }
  port.postMessage(hello)
  return { connection, data }
}
