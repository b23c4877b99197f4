/**
 * The NATS transport: nodes find each other by name on a NATS cluster, with the cookie handshake
 * and frames carried as messages on each node's inbox subject. `connectNats` opens a client with
 * the same options, for the other parts of Troupe that use NATS (the registry, services).
 *
 * @packageDocumentation
 */
export { FramesLostError, NatsConnectError, SlowConsumerError } from './errors.ts'
export type { NatsOptions, NatsTlsOptions, ResolvedNatsOptions } from './nats-options.ts'
export {
  connectNats,
  describeNatsError,
  natsOptionsOf,
  resolveNatsOptions,
  serversAreLoopback,
} from './nats-options.ts'
export type { NatsTransport, NatsTransportSettings } from './nats-transport.ts'
export { DEFAULT_MAX_PENDING_MESSAGES, openNatsTransport } from './nats-transport.ts'
export { inboxSubject, nodeOfToken, subjectToken } from './subjects.ts'
