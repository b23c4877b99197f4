/**
 * Helpers for testing actors: probes, temporary systems, inspection waits.
 *
 * @packageDocumentation
 */

export type { InProcessNetworkOptions } from '../internal.ts'
export { InProcessNetwork } from '../internal.ts'
export type { Deferred } from './deferred.ts'
export { deferred } from './deferred.ts'
export { freePort } from './free-port.ts'
export type { ExpectOptions } from './probe.ts'
export { createTestProbe, TestProbe } from './probe.ts'
export type { EventOf } from './test-system.ts'
export { nextEvent, recordEvents, withTestSystem } from './test-system.ts'
