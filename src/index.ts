/**
 * Troupe: actors for TypeScript on Node.js.
 *
 * @packageDocumentation
 */
export * from './concurrency/index.ts'
export * from './core/index.ts'
export type { ClusterOptions } from './node/start.ts'
// The node's start (node/) replaces the core's one-node start and the remote layer's.
export { DEFAULT_REGISTRY_PORT, start } from './node/start.ts'
export type { RegisteredActor } from './registry/index.ts'
export { listActors, RegistryUnavailableError } from './registry/index.ts'
export * from './remote/index.ts'
