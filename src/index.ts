/**
 * Troupe: actors for TypeScript on Node.js.
 *
 * @packageDocumentation
 */
export * from './concurrency/index.ts'
export * from './core/index.ts'
export type { ClusterOptions, RegisteredActor } from './registry/index.ts'
// The cluster's start (registry/) replaces the core's one-node start and the remote layer's.
export { DEFAULT_REGISTRY_PORT, listActors, RegistryUnavailableError, start } from './registry/index.ts'
export * from './remote/index.ts'
