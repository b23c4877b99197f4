import type { ActorSystem } from '../../core/system.ts'
import { endpointOf } from '../node/address.ts'
import type { LivenessOptions } from '../node/remote-node.ts'

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
/** How to make the network of a system's children when the first of them starts. */
const makers = new WeakMap<ActorSystem, () => Promise<ChildNetwork>>()
const making = new WeakMap<ActorSystem, Promise<ChildNetwork>>()

/** @internal A networked node records what its children need. */
export function setChildNetwork(system: ActorSystem, network: ChildNetwork): void {
  networks.set(system, network)
}

/** @internal What the children of `system` need to join its cluster; `undefined` if it has none. */
export function childNetworkOf(system: ActorSystem): ChildNetwork | undefined {
  return networks.get(system)
}

/**
 * @internal A system whose children get a network only once it starts one (a root without a port,
 * which then hosts the registry of its children) says how to make it.
 */
export function setChildNetworkMaker(system: ActorSystem, make: () => Promise<ChildNetwork>): void {
  makers.set(system, make)
}

/**
 * @internal What the children of `system` need, made now if it is made when the first child starts
 * (once: the starts that come meanwhile wait for it; a failure rejects them, and the next start
 * tries again).
 */
export async function prepareChildNetwork(system: ActorSystem): Promise<ChildNetwork | undefined> {
  const known = networks.get(system)
  if (known !== undefined) return known
  const make = makers.get(system)
  if (make === undefined) return undefined
  let pending = making.get(system)
  if (pending === undefined) {
    pending = make().then(
      (network) => {
        networks.set(system, network)
        return network
      },
      (error: unknown) => {
        making.delete(system)
        throw error
      },
    )
    making.set(system, pending)
  }
  return await pending
}

/**
 * @internal The registry a child node passes on to its own children: only one they reach by its
 * root's address. The root of a plain `start()` has no port: only its own children reach it, over
 * their links to it.
 */
export function registryToPassOn(registry: ChildRegistry | undefined): ChildRegistry | undefined {
  return registry !== undefined && endpointOf(registry.root) !== undefined ? registry : undefined
}
