import type { Transport } from '../transport.ts'
import { connectTcp } from './connect.ts'
import { listenTcp } from './listen.ts'
import type { TcpConnectOptions, TcpListenOptions } from './tcp-options.ts'

export { connectTcp } from './connect.ts'
export { listenTcp } from './listen.ts'
export type { TcpConnectOptions, TcpListenOptions, TlsOptions } from './tcp-options.ts'

/**
 * The TCP transport (with TLS and Unix domain sockets as options) behind the one transport interface.
 *
 * @example
 * ```ts
 * const listener = await tcpTransport.listen({ node: 'b', incarnation, cookie })
 * ```
 */
export const tcpTransport: Transport<TcpListenOptions, TcpConnectOptions> = {
  name: 'tcp',
  listen: listenTcp,
  connect: connectTcp,
}
