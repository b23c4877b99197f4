import type { ActorSystem } from '../core/system.ts'
import type { LivenessOptions } from './remote-node.ts'

/**
 * What the child nodes of a networked system need to be nodes of its cluster: they listen on
 * their own port (on the parent's host), prove the parent's cookie, and join its registry.
 */
export interface ChildNetwork {
  /** The host children listen on: the parent's. */
  readonly host: string
  readonly cookie: string
  readonly maxFrameBytes?: number
  readonly handshakeTimeoutMs?: number
  readonly liveness: Required<LivenessOptions>
  /** The cluster registry children join: its root node, and the module that joins it. */
  registry?: ChildRegistry
}

/** How a child node joins its parent's cluster registry. */
export interface ChildRegistry {
  /** The root node, which hosts the registry. */
  readonly root: string
  /** A module exporting `joinRegistry(system, root, endpoint)`: the layer that has registries. */
  readonly module: string
}

const networks = new WeakMap<ActorSystem, ChildNetwork>()

/** @internal A networked node records what its children need. */
export function setChildNetwork(system: ActorSystem, network: ChildNetwork): void {
  networks.set(system, network)
}

/** @internal What the children of `system` need to join its cluster; `undefined` if it has none. */
export function childNetworkOf(system: ActorSystem): ChildNetwork | undefined {
  return networks.get(system)
}
