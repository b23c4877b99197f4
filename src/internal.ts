/**
 * What Troupe's own outer folders (cli, testkit) use beyond the public API: addresses, cookies,
 * the registry's port, the in-process network. Not part of the package's exports.
 *
 * @internal
 * @packageDocumentation
 */
export { DEFAULT_REGISTRY_PORT } from './node/start.ts'
export type { ActorAddress, InProcessNetworkOptions, NodeEndpoint } from './remote/index.ts'
export { COOKIE_FILE, endpointOf, InProcessNetwork, parseAddress, readCookieFile } from './remote/index.ts'
