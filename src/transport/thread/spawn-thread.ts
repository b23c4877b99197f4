import { pathToFileURL } from 'node:url'
import { MessageChannel, Worker } from 'node:worker_threads'
import { type Logger, pino } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../../wire/frames.ts'
import { ConnectionLostError, HandshakeError } from '../errors.ts'
import { nameProblem } from '../handshake-messages.ts'
import type { Connection, PeerInfo } from '../transport.ts'
import { isTypeScriptModule, requireTsx, type TsxLocation } from '../tsx-location.ts'
import { ThreadExitError } from './errors.ts'
import { PortConnection } from './port-connection.ts'
import { isThreadControl, type ThreadWorkerData } from './thread-messages.ts'
import { trackThread } from './thread-registry.ts'

/** Options of {@link spawnThread}. */
export interface SpawnThreadOptions {
  /**
   * The module the thread runs: a file URL (or absolute path) of a `.ts`, `.mts`, `.js` or `.mjs`
   * file. A TypeScript one runs through tsx. It calls `connectParent()`.
   */
  entry: URL | string
  /**
   * The tsx the thread registers before it imports `entry`, so that a JavaScript entry can import
   * TypeScript modules (`findTsx()`, `requireTsx(module)`).
   * @default tsx found from this process when `entry` is TypeScript, else none
   */
  tsx?: TsxLocation
  /** The parent node's name, told to the thread. */
  node: string
  /** The parent node's incarnation, told to the thread. */
  incarnation: string
  /** The node name of the thread. */
  childNode: string
  /** Initial state for the thread, structured-cloned into it; `connectParent()` returns it as `data`. */
  data?: unknown
  /**
   * Largest frame body either side accepts; a larger one closes the connection with a
   * `FrameTooLargeError`. The thread gets the same limit.
   * @default 1048576 (1 MiB, `DEFAULT_MAX_FRAME_BYTES`)
   */
  maxFrameBytes?: number
  /**
   * Time allowed from the call until the thread says hello; past it the thread is terminated and
   * `spawnThread` rejects with a `HandshakeError` (reason `timeout`).
   * @default 30000
   */
  helloTimeoutMs?: number
  /**
   * After a clean `close()`, how long either side waits for the other to close the port; and after
   * the port closed without a `close` from the thread, how long to wait for the thread's exit code.
   * @default 2000
   */
  closeTimeoutMs?: number
  /**
   * Node options of the thread. The default makes the thread load Troupe from the same entry as
   * the parent: when Troupe runs from its TypeScript sources, `import 'troupe'` in the thread
   * resolves to `src/index.ts` too.
   * @default ['--conditions=source'] when this module is TypeScript, else []
   */
  execArgv?: string[]
  /** A pino logger for the connection's log lines. @default a silent logger */
  logger?: Logger
}

/** A thread started by {@link spawnThread}: its connection and its `Worker`. */
export interface SpawnedThread {
  /** The connection to the thread; its `peer` is the thread's node name and incarnation. */
  readonly connection: Connection
  /** The worker running the thread; end it with `terminateThread`. */
  readonly worker: Worker
}

/**
 * The thread's first module when it loads TypeScript: registers tsx, then imports the entry. A data
 * URL, so it needs no file beside the compiled code. (`execArgv: ['--import', 'tsx']` fails for a
 * worker on Node 20: nodejs/node#47747.)
 */
function bootstrap(tsx: TsxLocation): URL {
  const code = `import { workerData } from 'node:worker_threads'
const { register } = await import(${JSON.stringify(tsx.api)})
register()
await import(workerData.entry)
`
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`)
}

function entryUrl(entry: URL | string): URL {
  if (entry instanceof URL) return entry
  return entry.startsWith('file:') ? new URL(entry) : pathToFileURL(entry)
}

function positive(name: string, value: number | undefined, fallback: number, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new InvalidOptionError(name, `expected an integer from 1 to ${max}, got ${String(value)}`)
  return value
}

/**
 * Starts a worker thread running `entry` and connects to it over a `MessagePort`. Resolves once
 * the thread has called `connectParent()` (which says hello with its node name and incarnation);
 * rejects with a {@link ThreadExitError} if the thread ends first (an import that fails, a throw at
 * top level), or a `HandshakeError` after `helloTimeoutMs` (the thread is terminated).
 *
 * The connection's `closed()` resolves when either side closes it, or with a
 * {@link ThreadExitError} (exit code, uncaught error as `cause`) when the thread ends with the
 * connection open. A `MessagePort` has no backpressure: `writableNeedDrain` is always false.
 *
 * @example
 * ```ts
 * const { connection, worker } = await spawnThread({
 *   entry: new URL('./worker.ts', import.meta.url),
 *   node: 'app', incarnation, childNode: 'app/worker-1', data: { shard: 3 },
 * })
 * connection.onFrame((body) => handle(body))
 * connection.send(body)
 * await terminateThread(worker, 1_000)
 * ```
 */
export async function spawnThread(options: SpawnThreadOptions): Promise<SpawnedThread> {
  for (const name of ['node', 'incarnation', 'childNode'] as const) {
    const problem = nameProblem(options[name])
    if (problem !== undefined) throw new InvalidOptionError(name, problem)
  }
  const maxFrameBytes = positive('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 0xffffffff)
  const helloTimeoutMs = positive('helloTimeoutMs', options.helloTimeoutMs, 30_000)
  const closeTimeoutMs = positive('closeTimeoutMs', options.closeTimeoutMs, 2000)
  const logger = options.logger ?? pino({ level: 'silent' })
  const entry = entryUrl(options.entry)
  const local: PeerInfo = { node: options.node, incarnation: options.incarnation }
  const { port1, port2 } = new MessageChannel()
  const workerData: ThreadWorkerData = {
    troupeThread: 1,
    parent: local,
    node: options.childNode,
    maxFrameBytes,
    closeTimeoutMs,
    port: port2,
    entry: entry.href,
    data: options.data,
  }
  const tsx = options.tsx ?? (isTypeScriptModule(entry) ? requireTsx(entry) : undefined)
  const worker = new Worker(tsx === undefined ? entry : bootstrap(tsx), {
    workerData,
    transferList: [port2],
    execArgv: options.execArgv ?? (import.meta.url.endsWith('.ts') ? ['--conditions=source'] : []),
  })
  let uncaught: unknown
  worker.on('error', (error) => {
    uncaught ??= error
    logger.warn(
      { err: error, node: options.childNode },
      `thread ${options.childNode} threw: ${String(error)}`,
    )
  })
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve))
  const exitError = (code: number): ThreadExitError => new ThreadExitError(options.childNode, code, uncaught)
  const remoteAddress = `thread ${options.childNode} (id ${worker.threadId})`

  const connection = await new Promise<PortConnection>((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(
        new HandshakeError('timeout', 'local', `no hello within ${helloTimeoutMs} ms`, {
          remote: remoteAddress,
        }),
      )
      void worker.terminate()
    }, helloTimeoutMs)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      port1.off('message', onHello)
      port1.close()
      reject(error)
    }
    void exited.then((code) => fail(exitError(code)))
    const onHello = (message: unknown): void => {
      if (!isThreadControl(message) || message.type !== 'hello') {
        fail(
          new HandshakeError('malformed', 'local', 'the first message was not a hello', {
            remote: remoteAddress,
          }),
        )
        void worker.terminate()
        return
      }
      clearTimeout(timer)
      const opened = new PortConnection(port1, {
        local,
        peer: { node: message.node, incarnation: message.incarnation },
        remoteAddress,
        maxFrameBytes,
        closeTimeoutMs,
        logger,
        lost: () => lostBy(exited, exitError, remoteAddress, closeTimeoutMs),
      })
      port1.off('message', onHello)
      resolve(opened)
    }
    port1.on('message', onHello)
  })
  void exited.then((code) => connection.lose(exitError(code)))
  trackThread(worker, connection, exited)
  logger.debug(
    { peer: connection.peer.node, incarnation: connection.peer.incarnation },
    `${remoteAddress} started`,
  )
  return { connection, worker }
}

/** Waits for the thread's exit (the port closes just before it) to say why the connection was lost. */
async function lostBy(
  exited: Promise<number>,
  exitError: (code: number) => Error,
  remoteAddress: string,
  closeTimeoutMs: number,
): Promise<Error> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<Error>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(new ConnectionLostError(remoteAddress, { cause: new Error('the thread closed its port') })),
      closeTimeoutMs,
    )
  })
  try {
    return await Promise.race([exited.then(exitError), late])
  } finally {
    clearTimeout(timer)
  }
}
