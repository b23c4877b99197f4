/**
 * The thread transport: a parent and a worker thread connected by a `MessagePort`, carrying frame
 * bodies both ways behind the same `Connection` as TCP.
 *
 * @packageDocumentation
 */
export type { ConnectParentOptions, ParentLink } from './connect-parent.ts'
export { connectParent } from './connect-parent.ts'
export { ThreadExitError } from './errors.ts'
export type { SpawnedThread, SpawnThreadOptions } from './spawn-thread.ts'
export { spawnThread } from './spawn-thread.ts'
export { terminateThread } from './terminate-thread.ts'
export { threadChildren } from './thread-child.ts'
