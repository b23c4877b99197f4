/**
 * What Troupe's own outer folders (cli, gateway, testkit) use beyond the public API: addresses, cookies,
 * the registry's port, the in-process network, the one way to describe an error, the log limiter. Not part of the
 * package's exports.
 *
 * @internal
 * @packageDocumentation
 */
export type { DescribeErrorOptions } from './core/describe-error.ts'
export { describeError } from './core/describe-error.ts'
export { DEFAULT_REGISTRY_PORT } from './node/start.ts'
export type { ActorAddress, NodeEndpoint } from './remote/index.ts'
export { COOKIE_FILE, endpointOf, parseAddress, readCookieFile } from './remote/index.ts'
export type { InProcessNetworkOptions } from './transport/in-process/index.ts'
export { InProcessNetwork } from './transport/in-process/index.ts'
export { LogLimiter, suppressedTail } from './transport/log-limiter.ts'
