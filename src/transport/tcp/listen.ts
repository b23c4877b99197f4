import net from 'node:net'
import tls from 'node:tls'
import type { Logger } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import { describeSystemError, HandshakeError, ListenError } from '../errors.ts'
import { type ResolvedTransportOptions, resolveTransportOptions } from '../options.ts'
import type { Connection, Listener, ListenerAddress } from '../transport.ts'
import { formatHostPort } from './address.ts'
import { certificateNameProblem } from './certificate-name.ts'
import { HandshakeGate } from './handshake-gate.ts'
import { SocketConnection } from './socket-connection.ts'
import type { TcpListenOptions } from './tcp-options.ts'

/**
 * Listens for nodes over TCP (or TLS, or a Unix domain socket) and hands over each connection once
 * it has passed the handshake. Binds to 127.0.0.1 unless `host` says otherwise. A connection that
 * fails the handshake, or later breaks the protocol, is closed and logged; nothing else is affected.
 * Strangers cost little: a connection over the limits on handshakes in progress or on failed
 * proofs (`maxHandshakes`, `maxHandshakesPerAddress`, `maxFailedProofs`) is closed before any
 * handshake work, and refusals are logged at most once per address and reason per interval.
 *
 * @example
 * ```ts
 * await using listener = await listenTcp({ node: 'b@127.0.0.1:9700', port: 9700, incarnation, cookie })
 * listener.onConnection((connection) => {
 *   connection.onFrame((body) => connection.send(body)) // echo
 * })
 * ```
 */
export async function listenTcp(options: TcpListenOptions): Promise<Listener> {
  const resolved = resolveTransportOptions(options)
  const { host = '127.0.0.1', port = 0, path } = options
  if (path !== undefined) {
    if (typeof path !== 'string' || path.length === 0)
      throw new InvalidOptionError('path', `expected a socket path, got ${String(path)}`)
  } else {
    if (typeof host !== 'string' || host.length === 0)
      throw new InvalidOptionError('host', `expected a host name or address, got ${String(host)}`)
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
      throw new InvalidOptionError('port', `expected a port from 0 to 65535, got ${String(port)}`)
  }
  const server = options.tls
    ? tls.createServer({
        key: options.tls.key,
        cert: options.tls.cert,
        ca: options.tls.ca,
        requestCert: true,
        rejectUnauthorized: true,
        handshakeTimeout: resolved.handshakeTimeoutMs,
      })
    : net.createServer()
  const wanted = path ?? formatHostPort(host, port)
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      const { code, text } = describeSystemError(error)
      reject(new ListenError(wanted, code, text, { cause: error }))
    }
    server.once('error', onError)
    server.listen(path !== undefined ? { path } : { host, port }, () => {
      server.off('error', onError)
      resolve()
    })
  })
  const bound = server.address()
  const address: ListenerAddress =
    typeof bound === 'string' || bound === null
      ? { path: path ?? String(bound) }
      : { host: bound.address, port: bound.port }
  return new TcpListener(server, resolved, address, options.tls !== undefined)
}

/** The {@link Listener} of {@link listenTcp}. */
class TcpListener implements Listener {
  private readonly handshaking = new Set<SocketConnection>()
  private readonly accepted = new Set<Connection>()
  private handler: ((connection: Connection) => void) | undefined
  private held: Connection[] = []
  private closing: Promise<void> | undefined
  private readonly tlsRemotes = new WeakMap<net.Socket, { remote: string; address: string | undefined }>()
  /** The place in the gate of each admitted socket (the raw one, under TLS), until its handshake ends. */
  private readonly places = new WeakMap<net.Socket, () => void>()
  private readonly gate: HandshakeGate
  private readonly log: Logger

  constructor(
    private readonly server: net.Server,
    private readonly options: ResolvedTransportOptions,
    readonly address: ListenerAddress,
    secure: boolean,
  ) {
    this.log = options.logger
    this.gate = new HandshakeGate(options.strangers, this.log)
    // Admitted on arrival, before TLS too: a TLS handshake is the costlier one.
    server.on('connection', (socket: net.Socket) => this.admit(socket, secure))
    server.on(secure ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      if (!socket.destroyed) this.accept(socket)
    })
    if (secure) {
      server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
        const parent = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent
        const noted = this.tlsRemotes.get(parent ?? socket)
        // Turned away by the gate, which logged it already.
        if (noted !== undefined && !this.places.has(parent ?? socket)) return
        const remote = noted?.remote ?? this.remoteOf(socket)
        const refused = socket.authorizationError
        const why =
          refused === undefined
            ? describeSystemError(error).text
            : `the client's certificate was refused (${String(refused)})`
        const failure = new HandshakeError('tls', 'local', why, { remote, cause: error })
        this.gate.failed(noted?.address ?? socket.remoteAddress, remote, failure, {
          authorizationError: refused,
        })
      })
    }
    server.on('error', (error) => {
      this.log.error(
        { err: error, address },
        `listener on ${this.describe()} failed to accept: ${error.message}`,
      )
    })
  }

  onConnection(handler: (connection: Connection) => void): void {
    this.handler = handler
    if (this.held.length > 0) {
      const held = this.held
      this.held = []
      queueMicrotask(() => {
        for (const connection of held) this.deliver(connection)
      })
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown()
    return this.closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async shutDown(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const connection of this.handshaking) connection.cancelHandshake('the listener is closing')
    const all = [...this.handshaking, ...this.accepted, ...this.held]
    for (const connection of [...this.accepted, ...this.held]) connection.close()
    this.held = []
    await Promise.all(all.map((connection) => connection.closed()))
    await serverClosed
    this.log.debug({ address: this.address }, `listener on ${this.describe()} closed`)
  }

  private describe(): string {
    return 'path' in this.address ? this.address.path : formatHostPort(this.address.host, this.address.port)
  }

  private remoteOf(socket: net.Socket): string {
    if (socket.remoteAddress === undefined)
      return 'path' in this.address ? this.address.path : 'an unknown address'
    return formatHostPort(socket.remoteAddress, socket.remotePort)
  }

  /** Takes a place in the gate for a new socket, or closes it at once. */
  private admit(socket: net.Socket, secure: boolean): void {
    const remote = this.remoteOf(socket)
    // A socket that TLS refused has lost its address by the time it is reported: note it on arrival.
    if (secure) this.tlsRemotes.set(socket, { remote, address: socket.remoteAddress })
    const release = this.gate.admit(socket.remoteAddress, remote)
    if (release === undefined) {
      socket.destroy()
      return
    }
    this.places.set(socket, release)
    socket.once('close', release)
  }

  private accept(socket: net.Socket): void {
    const raw = (socket as net.Socket & { _parent?: net.Socket })._parent ?? socket
    const release = this.places.get(raw) ?? (() => {})
    if (this.closing !== undefined) {
      socket.destroy()
      return
    }
    socket.setNoDelay(true)
    const remote = this.remoteOf(socket)
    const connection = new SocketConnection(socket, 'server', this.options, remote)
    this.handshaking.add(connection)
    connection.open(this.options.handshakeTimeoutMs).then(
      () => {
        release()
        this.handshaking.delete(connection)
        if (this.closing !== undefined) {
          connection.close()
          return
        }
        if (socket instanceof tls.TLSSocket && !this.certificateNames(socket, connection, remote)) return
        this.accepted.add(connection)
        void connection.closed().then(() => {
          // One that closes before a handler takes it is never handed over.
          this.accepted.delete(connection)
          const index = this.held.indexOf(connection)
          if (index >= 0) this.held.splice(index, 1)
        })
        if (this.handler === undefined) this.held.push(connection)
        else this.deliver(connection)
      },
      (error: unknown) => {
        release()
        this.handshaking.delete(connection)
        if (error instanceof HandshakeError)
          this.gate.failed(socket.remoteAddress ?? raw.remoteAddress, remote, error)
      },
    )
  }

  /** Whether the client's certificate names the node it proved to be; closes the connection if not. */
  private certificateNames(socket: tls.TLSSocket, connection: Connection, remote: string): boolean {
    const problem = certificateNameProblem(connection.peer.node, socket.getPeerCertificate())
    if (problem === undefined) return true
    const error = new HandshakeError('tls', 'local', problem, { remote })
    connection.close(error)
    this.gate.failed(socket.remoteAddress, remote, error)
    return false
  }

  private deliver(connection: Connection): void {
    try {
      this.handler!(connection)
    } catch (error) {
      this.log.error({ err: error }, 'the connection handler threw; closing the connection')
      connection.close(error instanceof Error ? error : new Error(String(error)))
    }
  }
}
