import type { ActorSystem } from '../../core/system.ts'
import { childNetworkOf } from '../children/child-network.ts'
import type { ChildExit } from '../children/child-node.ts'
import { NodeDownError, RemoteSpawnError } from './errors.ts'
import { remoteNodeOf } from './remote-node-of.ts'

/**
 * How long the actor a nursery starts on a child node may take to be in the cluster registry once
 * its node has started (the node joins the registry first: one round trip, or a connection to a
 * root node elsewhere).
 */
const REGISTERED_WITHIN_MS = 15_000

/**
 * Resolves once the cluster registry the children of `system` join (a networked cluster's, or the
 * one a root without a port hosts for its children) holds `name`, so that an actor started on child
 * node `node` is found by name as soon as its portal is here; at once when they join none. Another
 * actor holding the name ends the wait too: the registry refuses the name to the new one, which its
 * node logs, and `findActor` finds the holder. Rejects if the node exits first, or at the deadline.
 */
export async function registeredInCluster(
  system: ActorSystem,
  name: string,
  node: string,
  exited: Promise<ChildExit>,
): Promise<void> {
  const registry = remoteNodeOf(system)?.registry
  if (childNetworkOf(system)?.registry === undefined || registry == null) return
  const done = new AbortController()
  const gone = exited.then((exit) => {
    throw new NodeDownError(
      node,
      `it exited (${exit.signal ?? `code ${exit.code}`}) before '${name}' was registered`,
    )
  })
  try {
    await Promise.race([registry.wait(name, REGISTERED_WITHIN_MS, done.signal), gone])
  } catch (error) {
    if (error instanceof NodeDownError) throw error
    throw new RemoteSpawnError(
      `'${name}' started on ${node} but is not in the cluster registry after ${REGISTERED_WITHIN_MS} ms: its node did not register it (its log says why)`,
      { cause: error },
    )
  } finally {
    done.abort()
    gone.catch(() => {})
  }
}
