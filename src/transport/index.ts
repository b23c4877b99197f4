/**
 * The transport layer: authenticated connections that carry frame bodies between nodes. It knows
 * frames, not envelopes; the remote layer encodes and decodes.
 *
 * @packageDocumentation
 */
export type { HandshakeFailure, HandshakeRefuser } from './errors.ts'
export { ConnectError, ConnectionLostError, HandshakeError, ListenError } from './errors.ts'
export type { HandshakeOptions, HandshakeStep } from './handshake.ts'
export { Handshake } from './handshake.ts'
export type { HandshakeRole, Hello } from './handshake-messages.ts'
export {
  decodeHello,
  decodeReject,
  encodeHello,
  encodeReject,
  HANDSHAKE_MAX_FRAME_BYTES,
  helloVersion,
  MAX_NODE_NAME_BYTES,
  NONCE_BYTES,
} from './handshake-messages.ts'
export type { ResolvedTransportOptions } from './options.ts'
export { resolveTransportOptions } from './options.ts'
/** Frames between a parent and the child process it forked, over the IPC channel. */
export * as processTransport from './process/index.ts'
export type { TcpConnectOptions, TcpListenOptions, TcpTransportSettings, TlsOptions } from './tcp/index.ts'
export { connectTcp, listenTcp, openTcpTransport } from './tcp/index.ts'
/** Frames between a parent and a worker thread, over a MessagePort. */
export * as threadTransport from './thread/index.ts'
export type {
  Connection,
  Endpoint,
  FrameHandler,
  Listener,
  ListenerAddress,
  PeerInfo,
  Transport,
  TransportFactory,
  TransportOptions,
  TransportSettings,
} from './transport.ts'
