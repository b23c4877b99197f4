import { ExtensionKey } from '../../core/extensions.ts'
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
  /** The parent's `frameAuth`, when it said one: a child seals as its parent does, or they could not talk. */
  readonly frameAuth?: boolean
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

/** What the children of a system need to join its cluster, once it has a cluster. */
export const CHILD_NETWORK = new ExtensionKey<ChildNetwork>('child network')

/** Makes the network of a system's children when the first of them starts (a root without a port). */
const CHILD_NETWORK_MAKER = new ExtensionKey<() => Promise<ChildNetwork>>('child network maker')

/** @internal A networked node records what its children need. */
export function setChildNetwork(system: ActorSystem, network: ChildNetwork): void {
  system.extensions.set(CHILD_NETWORK, network)
}

/** @internal What the children of `system` need to join its cluster; `undefined` if it has none. */
export function childNetworkOf(system: ActorSystem): ChildNetwork | undefined {
  return system.extensions.get(CHILD_NETWORK)
}

/**
 * @internal A system whose children get a network only once it starts one (a root without a port,
 * which then hosts the registry of its children) says how to make it: once (the starts that come
 * meanwhile wait for it; a failure rejects them, and the next start tries again).
 */
export function setChildNetworkMaker(system: ActorSystem, make: () => Promise<ChildNetwork>): void {
  let making: Promise<ChildNetwork> | undefined
  system.extensions.set(CHILD_NETWORK_MAKER, () => {
    making ??= make().then(
      (network) => {
        system.extensions.set(CHILD_NETWORK, network)
        return network
      },
      (error: unknown) => {
        making = undefined
        throw error
      },
    )
    return making
  })
}

/** @internal What the children of `system` need, made now if it is made when the first child starts. */
export async function prepareChildNetwork(system: ActorSystem): Promise<ChildNetwork | undefined> {
  const known = system.extensions.get(CHILD_NETWORK)
  if (known !== undefined) return known
  return await system.extensions.get(CHILD_NETWORK_MAKER)?.()
}

/**
 * @internal The registry a child node passes on to its own children: only one they reach by its
 * root's address. The root of a plain `start()` has no port: only its own children reach it, over
 * their links to it.
 */
export function registryToPassOn(registry: ChildRegistry | undefined): ChildRegistry | undefined {
  return registry !== undefined && endpointOf(registry.root) !== undefined ? registry : undefined
}
