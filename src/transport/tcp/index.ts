export { connectTcp } from './connect.ts'
export { listenTcp } from './listen.ts'
export type { TcpConnectOptions, TcpListenOptions, TlsOptions } from './tcp-options.ts'

export type { TcpTransportSettings } from './tcp-transport.ts'
export { openTcpTransport } from './tcp-transport.ts'
