import { ConnectError } from '../errors.ts'
import type { Connection, Transport, TransportSettings } from '../transport.ts'
import { connectTcp } from './connect.ts'
import { listenTcp } from './listen.ts'
import type { TlsOptions } from './tcp-options.ts'

/** What a node's TCP transport is opened with: the node's settings, and TLS when given. */
export interface TcpTransportSettings extends TransportSettings {
  /** TLS between nodes, mutual: each side checks the other's certificate against `ca`. @default plain TCP */
  tls?: TlsOptions
}

/**
 * The TCP transport of a node (TLS when given): listens at `listen` and hands every connection
 * that passes the handshake to the node, and connects to other nodes by host and port.
 *
 * @example
 * ```ts
 * const transport = await openTcpTransport({ node, incarnation, cookie, listen: { host: '127.0.0.1', port: 9700 } })
 * transport.onConnection((connection) => remote.adopt(connection))
 * ```
 */
export async function openTcpTransport(settings: TcpTransportSettings): Promise<Transport> {
  const { listen, ...common } = settings
  const listener =
    listen === undefined ? undefined : await listenTcp({ ...common, host: listen.host, port: listen.port })
  const outgoing = new Set<Connection>()
  const bound = listener?.address
  return {
    name: 'tcp',
    listening: bound !== undefined && 'port' in bound ? { host: bound.host, port: bound.port } : undefined,
    onConnection(handler) {
      listener?.onConnection(handler)
    },
    async connect(target, node): Promise<Connection> {
      if (target === undefined)
        throw new ConnectError(node, undefined, 'TCP needs a host and port to connect to')
      const connection = await connectTcp({ ...common, host: target.host, port: target.port })
      outgoing.add(connection)
      void connection.closed().then(() => outgoing.delete(connection))
      return connection
    },
    async close(): Promise<void> {
      for (const connection of outgoing) connection.close()
      await Promise.all([listener?.close(), ...[...outgoing].map((c) => c.closed())])
    },
  }
}
