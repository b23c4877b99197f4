/**
 * The MajorDomo part of the data-flow layer: a broker, workers and clients that speak ZeroMQ's
 * Majordomo Protocol MDP/0.1 (RFC 7), so that they work with any other MDP/0.1 peer.
 *
 * @packageDocumentation
 */
export type { Broker, BrokerOptions, BrokerStats } from './broker.ts'
export { startBroker } from './broker.ts'
export type { ClientOptions, MdpClient, RequestBody, RequestOptions } from './client.ts'
export { mdpClient } from './client.ts'
export { MajordomoError, MdpClientClosedError, MdpServiceError, MdpTimeoutError } from './errors.ts'
export { ERROR_FRAME, ErrorCode, MDP_CLIENT, MDP_WORKER } from './protocol.ts'
export type { MdpLogger } from './support.ts'
export type { MdpHandler, MdpWorker, WorkerOptions } from './worker.ts'
export { startWorker } from './worker.ts'
