// What the layers above the core (node, remote, registry) use of it, and users do not: the system's
// constructor path, the delivery seam, and the extensions the core consumes.
import { type ActorSystem, ActorSystem as System } from './system.ts'
import type { SystemOptions } from './system-options.ts'

export type {
  ChildActorHooks,
  ChildActorRequest,
  ChildPortal,
  ChildRun,
  ChildRunner,
  ChildRunRequest,
  ChildStartRequest,
  ClusterHooks,
  ClusterMember,
  RemoteHooks,
} from './core-extensions.ts'
export { CHILD_ACTORS, CHILD_RUNNER, CLUSTER, PORTALS, REMOTE, RUNTIME } from './core-extensions.ts'
export type { Delivery, LocalActor } from './delivery.ts'
export { localActor } from './delivery.ts'
export type { Runtime } from './runtime.ts'

/** A new actor system of one node, with no extensions yet: what `start` builds on. */
export function createSystem(options?: SystemOptions): ActorSystem {
  return new System(options)
}
