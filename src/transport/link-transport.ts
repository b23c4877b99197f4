import { ConnectError } from './errors.ts'
import type { Connection, Transport } from './transport.ts'

/**
 * The transport of a link between a parent and a child node (a thread, a process): its one peer is
 * fixed, it listens nowhere, `onConnection` hands over the link's connection once, and `connect`
 * to that peer gives the same connection while it is open.
 */
export function linkTransport(name: string, connection: Connection): Transport {
  let handedOver = false
  let open = true
  void connection.closed().then(() => {
    open = false
  })
  return {
    name,
    listening: undefined,
    onConnection(handler) {
      if (handedOver) return
      handedOver = true
      handler(connection)
    },
    async connect(_endpoint, node) {
      if (node !== connection.peer.node)
        throw new ConnectError(node, undefined, `a ${name} link reaches only ${connection.peer.node}`)
      if (!open) throw new ConnectError(node, undefined, `the ${name} link to ${node} is closed`)
      handedOver = true
      return connection
    },
    async close() {
      connection.close()
      await connection.closed()
    },
  }
}
