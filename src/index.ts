/**
 * Troupe: actors for TypeScript on Node.js.
 *
 * @packageDocumentation
 */
export * from './concurrency/index.ts'
export * from './core/index.ts'
export * from './remote/index.ts'
// The networked start (remote/) replaces the core's one-node start.
export { start } from './remote/index.ts'
