/**
 * The in-process network: nodes of one process connected without sockets, behind the same
 * `Transport` as every other transport, for tests of what crosses nodes.
 *
 * @packageDocumentation
 */
export type { InProcessNetworkOptions } from './in-process-network.ts'
export { InProcessNetwork } from './in-process-network.ts'
