// Helpers of the transport tests: a logger that records its lines, waits with deadlines, and a raw
// socket that runs the handshake by hand (to misbehave after it).
import { EventEmitter } from 'node:events'
import net from 'node:net'
import { Writable } from 'node:stream'
import { type Logger, pino } from 'pino'
import { afterEach } from 'vitest'
import {
  type Connection,
  connectTcp,
  Handshake,
  type HandshakeOptions,
  type Listener,
  listenTcp,
  type TcpConnectOptions,
  type TcpListenOptions,
} from '../../../src/transport/index.ts'
import { encodeFrame } from '../../../src/wire/frames.ts'

/** One JSON log line, as pino writes it. */
export interface LogLine {
  level: number
  msg: string
  err?: { type?: string; message?: string; stack?: string; reason?: string }
  [key: string]: unknown
}

/** A pino logger that keeps every line, and lets a test wait for one. */
export class CapturedLog {
  readonly lines: LogLine[] = []
  readonly logger: Logger
  private readonly events = new EventEmitter()

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        for (const text of chunk.toString('utf8').split('\n')) {
          if (text.length === 0) continue
          const line = JSON.parse(text) as LogLine
          this.lines.push(line)
          this.events.emit('line', line)
        }
        callback()
      },
    })
    this.logger = pino({ level: 'debug' }, sink)
  }

  /** Resolves with the first line (already written or to come) that matches; rejects at the deadline. */
  waitFor(match: (line: LogLine) => boolean, what: string, timeoutMs = 5_000): Promise<LogLine> {
    const found = this.lines.find(match)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const onLine = (line: LogLine): void => {
        if (!match(line)) return
        clearTimeout(timer)
        this.events.off('line', onLine)
        resolve(line)
      }
      const timer = setTimeout(() => {
        this.events.off('line', onLine)
        reject(
          new Error(
            `no log line ${what} within ${timeoutMs} ms; lines: ${JSON.stringify(this.lines.map((l) => l.msg))}`,
          ),
        )
      }, timeoutMs)
      this.events.on('line', onLine)
    })
  }

  /** The messages of lines at warn level or above. */
  warnings(): string[] {
    return this.lines.filter((line) => line.level >= 40).map((line) => line.msg)
  }
}

/** Settles like `promise`, or rejects once `ms` have passed. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** The shared cookie of the tests. */
export const COOKIE = 'test-cookie-1b6f'

/** Options of a test node: name, incarnation, cookie, a captured log. */
export function nodeOptions(node: string, log: CapturedLog) {
  return { node, incarnation: `${node}-incarnation`, cookie: COOKIE, logger: log.logger }
}

/** Listens on 127.0.0.1 with a fresh port. */
export function listen(
  node: string,
  log: CapturedLog,
  options: Partial<TcpListenOptions> = {},
): Promise<Listener> {
  return listenTcp({ ...nodeOptions(node, log), ...options })
}

/** The port of a TCP listener. */
export function portOf(listener: Listener): number {
  if (!('port' in listener.address)) throw new Error('not a TCP listener')
  return listener.address.port
}

/** Connects to `listener` as `node`. */
export function connect(
  listener: Listener,
  node: string,
  log: CapturedLog,
  options: Partial<TcpConnectOptions> = {},
): Promise<Connection> {
  return connectTcp({ ...nodeOptions(node, log), port: portOf(listener), ...options })
}

/** The next connection `listener` hands over. */
export function nextConnection(listener: Listener, ms = 5_000): Promise<Connection> {
  return within(
    new Promise<Connection>((resolve) => listener.onConnection(resolve)),
    ms,
    'an accepted connection',
  )
}

/** Connects a client to `listener` and returns both ends. */
export async function connectedPair(
  listener: Listener,
  log: CapturedLog,
  options: Partial<TcpConnectOptions> = {},
): Promise<{ client: Connection; server: Connection }> {
  const accepted = nextConnection(listener)
  const client = await connect(listener, 'client', log, options)
  return { client, server: await accepted }
}

/** Resolves when the socket has closed (from either side); rejects at the deadline. */
export function socketClosed(socket: net.Socket, ms: number): Promise<void> {
  if (socket.closed) return Promise.resolve()
  return within(
    new Promise<void>((resolve) => socket.once('close', () => resolve())),
    ms,
    'the socket to close',
  )
}

/** Opens a plain socket to `port` on 127.0.0.1. */
export async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('error', reject)
    }),
    5_000,
    'a raw connection',
  )
  return socket
}

/**
 * Runs the client side of the handshake by hand over `socket`, then leaves the socket to the test:
 * it can send what a well-behaved transport never would.
 */
export async function handshakeByHand(
  socket: net.Socket,
  options: Partial<HandshakeOptions> = {},
): Promise<void> {
  const handshake = new Handshake({
    role: 'client',
    node: 'raw',
    incarnation: 'raw-incarnation',
    cookie: COOKIE,
    ...options,
  })
  let pending = Buffer.alloc(0)
  await within(
    new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        pending = Buffer.concat([pending, chunk])
        try {
          while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
            const length = pending.readUInt32BE(0)
            const body = pending.subarray(4, 4 + length)
            pending = pending.subarray(4 + length)
            const step = handshake.receive(body)
            for (const reply of step.replies) socket.write(encodeFrame(reply))
            if (step.peer !== undefined) {
              socket.off('data', onData)
              resolve()
              return
            }
          }
        } catch (error) {
          socket.off('data', onData)
          reject(error)
        }
      }
      socket.on('data', onData)
      for (const body of handshake.start()) socket.write(encodeFrame(body))
    }),
    5_000,
    'a handshake by hand',
  )
}

/**
 * The cleanups of each test of the file that calls it: push one per process, listener, socket or
 * file a test makes; after each test they run, the last pushed first, even when the test failed.
 */
export function cleanupsAfterEach(): Array<() => unknown> {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return cleanups
}
