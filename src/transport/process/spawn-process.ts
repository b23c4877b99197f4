import { type ChildProcess, fork } from 'node:child_process'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type Logger, pino } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../../wire/frames.ts'
import { ConnectionLostError, HandshakeError } from '../errors.ts'
import { nameProblem } from '../handshake-messages.ts'
import type { Connection } from '../transport.ts'
import { isTypeScriptModule, requireTsx, type TsxLocation } from '../tsx-location.ts'
import { trackChild, trackClose } from './live-children.ts'
import { childParentWatch } from './parent-watch.ts'
import { ProcessConnection } from './process-connection.ts'
import { ProcessExitError } from './process-exit-error.ts'
import { type ChildHelloMessage, controlTag, FRAMES_FD, type ParentHelloMessage } from './process-messages.ts'

/** Options of {@link spawnProcess}. */
export interface SpawnProcessOptions {
  /**
   * The child's entry module: a path or a `file:` URL. A `.ts`, `.mts` or `.cts` file runs
   * through tsx, with `--conditions=source` (Troupe's sources); anything else runs plain unless
   * `tsx` is given. It must call `connectParent()`.
   */
  entry: string | URL
  /**
   * The tsx the child loads before `entry` (`--import` its loader), so that a JavaScript entry can
   * import TypeScript modules (`findTsx()`, `requireTsx(module)`).
   * @default tsx found from this process when `entry` is TypeScript, else none
   */
  tsx?: TsxLocation
  /** The parent's node name, sent in its hello. */
  node: string
  /** The parent's incarnation, sent in its hello. */
  incarnation: string
  /** The node name the child takes (it may keep or override it in `connectParent`). */
  childNode: string
  /**
   * The data the child starts with (its statespace), returned by the child's `connectParent()`.
   * It crosses by the structured clone algorithm (`serialization: 'advanced'`): maps, sets,
   * dates, binary and errors survive; functions and class prototypes do not.
   * @default undefined
   */
  data?: unknown
  /** The log level the child should use, returned by its `connectParent()`. @default undefined */
  logLevel?: string
  /** Arguments after the entry module. @default [] */
  args?: readonly string[]
  /** Node flags added after the ones that load tsx. @default [] */
  execArgv?: readonly string[]
  /** The child's environment. @default process.env */
  env?: NodeJS.ProcessEnv
  /** The child's working folder. @default process.cwd() */
  cwd?: string
  /** Where the child's stdout goes. @default 'inherit' */
  stdout?: 'inherit' | 'ignore' | 'pipe'
  /**
   * Copy the child's stderr to this process's stderr as it comes. It is always read, and its end
   * kept for the {@link ProcessExitError} of a child that dies.
   * @default true
   */
  forwardStderr?: boolean
  /** Largest frame body accepted from the child; a bigger one closes the connection. @default 1048576 */
  maxFrameBytes?: number
  /**
   * Time allowed from the fork to the child's hello (a `.ts` child needs about 200 ms to load tsx
   * on an idle machine); past it the child is killed and the promise rejects.
   * @default 10000
   */
  handshakeTimeoutMs?: number
  /**
   * After a clean `close()`, how long to wait for the close message to be written before cutting
   * the channel; and how long to wait for the exit status of a child whose channel broke.
   * @default 2000
   */
  closeTimeoutMs?: number
  /** A pino logger for the transport's log lines. @default a silent logger */
  logger?: Logger
}

/** What {@link spawnProcess} resolves with. */
export interface SpawnedProcess {
  /** The connection to the child, open: frames may be sent at once. */
  readonly connection: Connection
  /** The child process; stop it with {@link terminateProcess}. */
  readonly child: ChildProcess
}

const STDERR_TAIL_CHARS = 8 * 1024
const connections = new WeakMap<ChildProcess, ProcessConnection>()

function check(options: SpawnProcessOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  for (const name of ['node', 'incarnation', 'childNode'] as const) {
    const problem = nameProblem(options[name])
    if (problem !== undefined) throw new InvalidOptionError(name, problem)
  }
  for (const name of ['maxFrameBytes', 'handshakeTimeoutMs', 'closeTimeoutMs'] as const) {
    const value = options[name]
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new InvalidOptionError(name, `expected a positive integer, got ${String(value)}`)
  }
}

/**
 * Forks a child process running `entry` and connects to it over the IPC channel. The child calls
 * `connectParent()`, which asks for the parent's hello (node, incarnation, the child's node name,
 * `data`, log level) and answers with its own; the promise resolves then, with the connection and
 * the child. It rejects with a {@link ProcessExitError} (exit code, signal and the end of stderr)
 * when the child exits before saying hello, and with a `HandshakeError` (the child is killed) when
 * it does not say hello within `handshakeTimeoutMs`.
 *
 * Once connected, `connection.closed()` resolves with a {@link ProcessExitError} if the child
 * exits without closing.
 *
 * No orphans: the child imports a parent watch before anything else (tsx and `entry` included),
 * and exits within about 1.2 s of this process being gone, whatever it is doing (loading its
 * modules, handshaking, or stuck in a synchronous loop); and this thread SIGKILLs the children it
 * still has when it exits, however it exits.
 *
 * @example
 * ```ts
 * const { connection, child } = await spawnProcess({
 *   entry: new URL('./worker.ts', import.meta.url),
 *   node: 'app', incarnation, childNode: 'app/worker-1', data: { shard: 3 },
 * })
 * connection.onFrame((body) => handle(body))
 * connection.send(body)
 * await terminateProcess(child, 2_000)
 * ```
 */
export function spawnProcess(options: SpawnProcessOptions): Promise<SpawnedProcess> {
  check(options)
  const entry = options.entry instanceof URL ? fileURLToPath(options.entry) : options.entry
  const logger = options.logger ?? pino({ level: 'silent' })
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000
  const framesPipe = process.platform !== 'win32'
  const sources = isTypeScriptModule(entry)
  const tsx = options.tsx ?? (sources ? requireTsx(entry) : undefined)
  // First of all, before tsx: the child watches this process, and exits when it is gone.
  const watch = childParentWatch()
  const child = fork(entry, [...(options.args ?? [])], {
    execArgv: [
      ...watch.execArgv,
      ...(sources ? ['--conditions=source'] : []),
      ...(tsx === undefined ? [] : ['--import', tsx.loader]),
      ...(options.execArgv ?? []),
    ],
    serialization: 'advanced',
    // fd 4: a socket pair for the frames (see ProcessConnection); not on Windows, whose pipes a
    // child cannot open by number.
    stdio: ['ignore', options.stdout ?? 'inherit', 'pipe', 'ipc', ...(framesPipe ? ['pipe' as const] : [])],
    env: { ...(options.env ?? process.env), ...watch.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  })
  trackChild(child)
  const remoteAddress = `process ${child.pid ?? '(not started)'}`

  let stderrTail = ''
  const forward = options.forwardStderr ?? true
  const stderrDone = new Promise<void>((resolve) => {
    const stderr = child.stderr
    if (stderr === null) {
      resolve()
      return
    }
    stderr.on('data', (chunk: Buffer) => {
      if (forward) process.stderr.write(chunk)
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS)
    })
    stderr.on('close', () => resolve())
    stderr.on('error', () => resolve())
  })
  // The exit status, once stderr has been read to its end (or shortly after the exit).
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      const late = setTimeout(() => resolve({ code, signal }), 250)
      void stderrDone.then(() => {
        clearTimeout(late)
        resolve({ code, signal })
      })
    })
  })
  const exitError = (when: string) =>
    exited.then(({ code, signal }) => new ProcessExitError(child.pid, code, signal, stderrTail, when))

  return new Promise<SpawnedProcess>((resolve, reject) => {
    let connection: ProcessConnection | undefined
    let settled = false
    const fail = (error: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      logger.warn({ err: error, pid: child.pid }, `cannot start child process ${entry}: ${error.message}`)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      child.stdio[FRAMES_FD]?.destroy()
      reject(error)
    }
    const timer = setTimeout(() => {
      fail(
        new HandshakeError(
          'timeout',
          'local',
          `child process ${child.pid} did not say hello within ${handshakeTimeoutMs} ms`,
          {
            remote: remoteAddress,
          },
        ),
      )
    }, handshakeTimeoutMs)

    child.on('error', (error) => {
      if (!settled) fail(error)
      else logger.warn({ err: error, pid: child.pid }, `child process ${child.pid}: ${error.message}`)
    })
    child.once('exit', () => {
      if (!settled) void exitError('before it said hello').then(fail)
    })
    child.on('disconnect', () => {
      const open = connection
      if (open === undefined) return
      if (!open.isOpen) {
        open.channelClosed(new ConnectionLostError(remoteAddress))
        return
      }
      // The child died or cut the channel: report its exit status, if it comes in time.
      const late = new Promise<Error>((done) => {
        setTimeout(
          () =>
            done(
              new ConnectionLostError(remoteAddress, {
                cause: new Error('the child closed the IPC channel'),
              }),
            ),
          closeTimeoutMs,
        ).unref()
      })
      void Promise.race([exitError('while connected'), late]).then((error) => open.channelClosed(error))
    })
    child.on('message', (message: unknown) => {
      if (connection !== undefined) {
        connection.receive(message)
        return
      }
      if (settled) return
      const tag = controlTag(message)
      if (tag === 'ready') {
        const hello: ParentHelloMessage = {
          troupe: 'parent-hello',
          node: options.node,
          incarnation: options.incarnation,
          childNode: options.childNode,
          data: options.data,
          logLevel: options.logLevel,
          ...(framesPipe ? { framesFd: FRAMES_FD } : {}),
        }
        child.send(hello, (error) => {
          if (error !== null) fail(error)
        })
        return
      }
      const hello = message as ChildHelloMessage
      if (
        tag !== 'child-hello' ||
        nameProblem(hello.node) !== undefined ||
        nameProblem(hello.incarnation) !== undefined
      ) {
        fail(
          new HandshakeError('malformed', 'local', 'the child did not answer with a hello', {
            remote: remoteAddress,
          }),
        )
        return
      }
      settled = true
      clearTimeout(timer)
      connection = new ProcessConnection({
        channel: {
          send: (body, callback) => child.send(body as Buffer, callback),
          disconnect: () => child.disconnect(),
          get connected() {
            return child.connected
          },
        },
        pipe: framesPipe ? (child.stdio[FRAMES_FD] as Socket) : undefined,
        local: { node: options.node, incarnation: options.incarnation },
        peer: { node: hello.node, incarnation: hello.incarnation },
        remoteAddress,
        maxFrameBytes,
        closeTimeoutMs,
        logger,
      })
      connections.set(child, connection)
      const opened = connection
      trackClose(child, () => opened.close())
      logger.debug(
        { pid: child.pid, peer: hello.node },
        `child process ${child.pid} (node ${hello.node}) connected`,
      )
      resolve({ connection, child })
    })
  })
}

/**
 * Stops a child process: closes its connection (if {@link spawnProcess} made one), sends SIGTERM,
 * and SIGKILL once `graceMs` have passed; resolves when the child has exited (at once if it had).
 *
 * @example
 * ```ts
 * await terminateProcess(child, 2_000)
 * ```
 */
export async function terminateProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  connections.get(child)?.close()
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}
