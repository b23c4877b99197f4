import { randomUUID } from 'node:crypto'
import { Socket } from 'node:net'
import { type Logger, pino } from 'pino'
import { DEFAULT_MAX_FRAME_BYTES } from '../../wire/frames.ts'
import { ConnectError, ConnectionLostError, HandshakeError } from '../errors.ts'
import { nameProblem } from '../handshake-messages.ts'
import type { Connection } from '../transport.ts'
import { currentParentWatch, watchParent } from './parent-watch.ts'
import { ProcessConnection } from './process-connection.ts'
import { type ChildHelloMessage, controlTag, type ParentHelloMessage } from './process-messages.ts'

/** Options of {@link connectParent}. */
export interface ConnectParentOptions {
  /** This node's name. @default the `childNode` the parent gave */
  node?: string
  /** This run's incarnation. @default a random UUID */
  incarnation?: string
  /** Largest frame body accepted from the parent; a bigger one closes the connection. @default 1048576 */
  maxFrameBytes?: number
  /** Time allowed for the parent's hello. @default 10000 */
  handshakeTimeoutMs?: number
  /** After a clean `close()`, how long to wait for the close message to be written. @default 2000 */
  closeTimeoutMs?: number
  /**
   * Exit when the parent is gone (the channel ended, or the parent watch found the parent process
   * gone): the process then exits on its own as soon as nothing else keeps it alive, and at the
   * latest `exitGraceMs` later (the parent watch kills it if it is stuck). With `false`, the
   * parent watch stops and only the connection closes: the process outlives its parent.
   * @default true
   */
  exitWithParent?: boolean
  /** How long a child whose parent is gone may take to finish before it is made to exit. @default 500 */
  exitGraceMs?: number
  /**
   * How often the parent watch checks the parent, when this process has none yet (a child of
   * `spawnProcess` has one from its first instant, and keeps its settings).
   * @default 200
   */
  parentCheckIntervalMs?: number
  /** A pino logger for the transport's log lines. @default a silent logger */
  logger?: Logger
}

/** What {@link connectParent} resolves with. */
export interface ParentLink {
  /** The connection to the parent, open. */
  readonly connection: Connection
  /** The `data` the parent gave `spawnProcess` (the statespace). */
  readonly data: unknown
  /** The log level the parent asked for, if any. */
  readonly logLevel: string | undefined
}

/**
 * In a child started by `spawnProcess`: connects to the parent over the IPC channel. It asks for
 * the parent's hello, answers with this node's name and incarnation, and resolves with the
 * connection and the parent's `data`. Call it once, early: the parent waits for it.
 *
 * The process exits by itself when its parent is gone (no orphans): when the channel ends, and
 * when the parent watch (see `spawnProcess`) finds the parent process gone or this process adopted
 * by another one. The connection then closes with a `ConnectionLostError`, and the process exits
 * once nothing keeps it alive, or after `exitGraceMs`.
 *
 * Rejects with a `ConnectError` when this process has no IPC channel (it was not forked), and a
 * `HandshakeError` when the parent's hello does not come in time or is malformed.
 *
 * @example
 * ```ts
 * const { connection, data } = await connectParent()
 * connection.onFrame((body) => connection.send(body)) // echo
 * ```
 */
export function connectParent(options: ConnectParentOptions = {}): Promise<ParentLink> {
  const send = process.send?.bind(process)
  if (send === undefined || !process.connected)
    return Promise.reject(
      new ConnectError(
        'parent process',
        undefined,
        'this process has no IPC channel: start it with spawnProcess',
      ),
    )
  const logger = options.logger ?? pino({ level: 'silent' })
  const parentPid = process.ppid
  const remoteAddress = `parent process ${parentPid}`
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000
  let connection: ProcessConnection | undefined
  let parentGone = false

  let stopListening: (() => void) | undefined
  const onParentGone = (why: string): void => {
    if (parentGone) return
    parentGone = true
    stopListening?.()
    process.off('message', onMessage)
    const lost = new ConnectionLostError(remoteAddress, { cause: new Error(why) })
    if (connection !== undefined) connection.channelClosed(lost)
    else fail(new HandshakeError('closed', 'local', why, { remote: remoteAddress }))
    if (process.connected) process.disconnect()
    if (options.exitWithParent ?? true) {
      logger.debug({ parent: parentPid }, `${why}: exiting`)
      // Unref'd: a process with nothing left to do exits at once, a busy one at the grace.
      setTimeout(() => process.exit(), options.exitGraceMs ?? 500).unref()
    }
  }
  if (options.exitWithParent ?? true) {
    watchParent({ intervalMs: options.parentCheckIntervalMs }).then(
      (watch) => {
        if (!parentGone) stopListening = watch.onGone(onParentGone)
      },
      (error: unknown) => logger.warn({ err: error }, `cannot watch the parent process: ${String(error)}`),
    )
  } else {
    currentParentWatch()?.stop()
  }
  // After a close by either side the connection ignores the error given here.
  process.once('disconnect', () => onParentGone('the IPC channel to the parent ended'))

  let resolveLink!: (link: ParentLink) => void
  let rejectLink!: (error: Error) => void
  const link = new Promise<ParentLink>((resolve, reject) => {
    resolveLink = resolve
    rejectLink = reject
  })
  const timer = setTimeout(() => {
    fail(
      new HandshakeError('timeout', 'local', `no hello from the parent within ${handshakeTimeoutMs} ms`, {
        remote: remoteAddress,
      }),
    )
  }, handshakeTimeoutMs)
  timer.unref()
  function fail(error: Error): void {
    clearTimeout(timer)
    rejectLink(error)
  }

  function onMessage(message: unknown): void {
    if (connection !== undefined) {
      connection.receive(message)
      return
    }
    const hello = message as ParentHelloMessage
    if (
      controlTag(message) !== 'parent-hello' ||
      nameProblem(hello.node) !== undefined ||
      nameProblem(hello.incarnation) !== undefined ||
      nameProblem(hello.childNode) !== undefined ||
      (hello.framesFd !== undefined && !Number.isInteger(hello.framesFd))
    ) {
      fail(
        new HandshakeError('malformed', 'local', 'the parent did not send a hello', {
          remote: remoteAddress,
        }),
      )
      return
    }
    clearTimeout(timer)
    const local = { node: options.node ?? hello.childNode, incarnation: options.incarnation ?? randomUUID() }
    let pipe: Socket | undefined
    if (hello.framesFd !== undefined) {
      try {
        pipe = new Socket({ fd: hello.framesFd, readable: true, writable: true })
      } catch (error) {
        fail(
          new HandshakeError(
            'malformed',
            'local',
            `cannot open the frames pipe: ${(error as Error).message}`,
            {
              remote: remoteAddress,
              cause: error,
            },
          ),
        )
        return
      }
    }
    connection = new ProcessConnection({
      pipe,
      channel: {
        send: (body, callback) => send!(body as Buffer, undefined, undefined, callback),
        disconnect: () => process.disconnect(),
        get connected() {
          return process.connected
        },
      },
      local,
      peer: { node: hello.node, incarnation: hello.incarnation },
      remoteAddress,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      closeTimeoutMs: options.closeTimeoutMs ?? 2_000,
      logger,
    })
    const answer: ChildHelloMessage = { troupe: 'child-hello', ...local }
    send!(answer, undefined, undefined, (error: Error | null) => {
      if (error !== null) connection?.channelClosed(new ConnectionLostError(remoteAddress, { cause: error }))
    })
    resolveLink({ connection, data: hello.data, logLevel: hello.logLevel })
  }
  process.on('message', onMessage)
  send({ troupe: 'ready' }, undefined, undefined, (error: Error | null) => {
    if (error !== null)
      fail(new HandshakeError('closed', 'local', error.message, { remote: remoteAddress, cause: error }))
  })
  return link
}
