import net from 'node:net'
import tls from 'node:tls'
import { InvalidOptionError } from '../../core/errors.ts'
import { ConnectError, describeSystemError, HandshakeError } from '../errors.ts'
import { resolveTransportOptions } from '../options.ts'
import type { Connection } from '../transport.ts'
import { formatHostPort } from './address.ts'
import { SocketConnection } from './socket-connection.ts'
import type { TcpConnectOptions } from './tcp-options.ts'
import { tlsFailure } from './tls-failure.ts'

/**
 * Opens a connection to a node listening with `listenTcp` (TCP, TLS or a Unix domain socket) and
 * runs the handshake. Resolves once both nodes have proved the cookie; rejects with a
 * `ConnectError` when nothing answers (refused, unreachable, no connection within
 * `handshakeTimeoutMs`), or a `HandshakeError` naming why the handshake failed (`cookie-mismatch`,
 * `version-mismatch`, `timeout`, `tls` ...). The failure is logged too.
 *
 * @example
 * ```ts
 * const connection = await connectTcp({ port: 9700, node: 'a@127.0.0.1:9701', incarnation, cookie })
 * connection.peer // { node: 'b@127.0.0.1:9700', incarnation: '...' }
 * ```
 */
export async function connectTcp(options: TcpConnectOptions): Promise<Connection> {
  const resolved = resolveTransportOptions(options)
  const { host = '127.0.0.1', port, path, signal } = options
  if (path !== undefined) {
    if (typeof path !== 'string' || path.length === 0)
      throw new InvalidOptionError('path', `expected a socket path, got ${String(path)}`)
  } else {
    if (typeof host !== 'string' || host.length === 0)
      throw new InvalidOptionError('host', `expected a host name or address, got ${String(host)}`)
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidOptionError('port', `expected a port from 1 to 65535, got ${String(port)}`)
  }
  signal?.throwIfAborted()
  const address = path ?? formatHostPort(host, port)
  const deadline = performance.now() + resolved.handshakeTimeoutMs
  const target = path !== undefined ? { path } : { host, port: port! }
  const socket = options.tls
    ? tls.connect({
        ...target,
        key: options.tls.key,
        cert: options.tls.cert,
        ca: options.tls.ca,
        rejectUnauthorized: true,
        ...(options.tls.servername === undefined ? {} : { servername: options.tls.servername }),
      })
    : net.connect(target)
  socket.setNoDelay(true)

  // Until the socket is connected, failures are the address's: nothing listens, or nothing answers.
  // A TLS failure after the TCP connection is the handshake's, reported by SocketConnection.
  let tcpConnected = false
  socket.once('connect', () => {
    tcpConnected = true
  })
  await new Promise<void>((resolve, reject) => {
    const done = (error?: unknown): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.off('error', onError)
      socket.off(options.tls ? 'secureConnect' : 'connect', onConnect)
      if (error === undefined) resolve()
      else {
        socket.destroy()
        reject(error)
      }
    }
    const onConnect = (): void => done()
    const onAbort = (): void => done(signal!.reason)
    const onError = (error: Error): void => {
      const { code, text } = describeSystemError(error)
      if (tcpConnected) {
        // Connected, but the TLS handshake failed: a certificate was refused by either side.
        const tls = tlsFailure(error)
        const failure = new HandshakeError(
          tls === undefined ? 'closed' : 'tls',
          tls?.refusedBy ?? 'local',
          text,
          {
            remote: address,
            cause: error,
          },
        )
        resolved.logger.warn({ err: failure, remote: address, reason: failure.reason }, failure.message)
        done(failure)
        return
      }
      resolved.logger.warn({ err: error, remote: address }, `cannot connect to ${address}: ${text}`)
      done(new ConnectError(address, code, text, { cause: error }))
    }
    const timer = setTimeout(() => {
      if (tcpConnected) {
        const failure = new HandshakeError(
          'timeout',
          'local',
          `no TLS handshake within ${resolved.handshakeTimeoutMs} ms`,
          {
            remote: address,
          },
        )
        resolved.logger.warn({ err: failure, remote: address, reason: failure.reason }, failure.message)
        done(failure)
        return
      }
      const text = `no connection within ${resolved.handshakeTimeoutMs} ms`
      resolved.logger.warn({ remote: address }, `cannot connect to ${address}: ${text}`)
      done(new ConnectError(address, 'ETIMEDOUT', text))
    }, resolved.handshakeTimeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', onError)
    socket.once(options.tls ? 'secureConnect' : 'connect', onConnect)
  })

  const connection = new SocketConnection(socket, 'client', resolved, address)
  const onAbort = (): void => connection.cancelHandshake('connect was aborted', signal!.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await connection.open(Math.max(1, deadline - performance.now()))
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
