/**
 * Troupe: actors for TypeScript on Node.js.
 *
 * @packageDocumentation
 */
export * from './concurrency/index.ts'
export * from './core/index.ts'
