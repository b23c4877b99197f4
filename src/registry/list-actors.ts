import type { ActorSystem } from '../core/system.ts'
import { parseAddress } from '../remote/node/address.ts'
import { NATS_CLUSTER } from './nats/cluster-key.ts'
import { linkOf } from './registry-link.ts'

/** One named actor of the cluster, as {@link listActors} reports it. */
export interface RegisteredActor {
  /** Its name, unique in the cluster. */
  name: string
  /** Its address, `troupe://<node>/<path>`. */
  address: string
  /** The node it runs on. */
  node: string
}

/**
 * The named actors of the cluster, sorted by name (what `troupe ps` shows): those the cluster
 * registry knows when the system joined or hosts one, those of the members of its NATS cluster,
 * else the named actors of this node.
 * Rejects with `RegistryUnavailableError` when the registry cannot be reached.
 *
 * @example
 * ```ts
 * const system = await start({ node: 'ps@127.0.0.1:9799', registry: '127.0.0.1:1616' })
 * for (const actor of await listActors(system)) console.log(actor.name, actor.address)
 * ```
 */
export async function listActors(system: ActorSystem): Promise<RegisteredActor[]> {
  const link = linkOf(system)
  const nats = system.extensions.get(NATS_CLUSTER)
  const entries =
    link !== undefined
      ? await link.list()
      : nats !== undefined
        ? nats.list()
        : system.registered().map(([name, ref]) => ({ name, address: ref.address }))
  return entries
    .map(({ name, address }) => ({ name, address, node: parseAddress(address).node }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
