import type { Logger } from 'pino'
import { connectTcp, listenTcp } from '../transport/tcp/index.ts'
import type { Connection } from '../transport/transport.ts'
import type { NodeEndpoint } from './node/address.ts'
import { resolveCookie } from './node/cookie.ts'
import type { NodeConnection, NodeTransport } from './node/remote-node.ts'

/** The TCP settings a node passes to its transport. */
export interface TcpNodeSettings {
  cookie?: string
  maxFrameBytes?: number
  handshakeTimeoutMs?: number
  tls?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer }
  /** The node's incarnation, stated in every handshake. */
  incarnation: string
  logger: Logger
}

/**
 * Listens at the node's endpoint and connects to others over TCP (TLS when given), handing every
 * authenticated connection, either way, to the remote layer.
 */
export async function openTcpTransport(
  node: string,
  endpoint: NodeEndpoint,
  adopt: (connection: NodeConnection) => void,
  settings: TcpNodeSettings,
): Promise<NodeTransport> {
  const common = {
    node,
    incarnation: settings.incarnation,
    cookie: resolveCookie(settings.cookie),
    logger: settings.logger,
    ...(settings.maxFrameBytes === undefined ? {} : { maxFrameBytes: settings.maxFrameBytes }),
    ...(settings.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: settings.handshakeTimeoutMs }),
    ...(settings.tls === undefined ? {} : { tls: settings.tls }),
  }
  const listener = await listenTcp({ ...common, host: endpoint.host, port: endpoint.port })
  listener.onConnection(adopt)
  const outgoing = new Set<Connection>()
  const bound = listener.address
  return {
    listening: 'port' in bound ? { host: bound.host, port: bound.port } : undefined,
    async connect(target: NodeEndpoint): Promise<NodeConnection> {
      const connection = await connectTcp({ ...common, host: target.host, port: target.port })
      outgoing.add(connection)
      void connection.closed().then(() => outgoing.delete(connection))
      return connection
    },
    async close(): Promise<void> {
      for (const connection of outgoing) connection.close()
      await Promise.all([listener.close(), ...[...outgoing].map((c) => c.closed())])
    },
  }
}
