import type { ClusterMember } from '../../core/internal.ts'
import type { ActorSystem } from '../../core/system.ts'
import { remoteNodeOf } from '../../remote/node/remote-node-of.ts'
import { NATS_CLUSTER } from './cluster-key.ts'
import { checkPrefix } from './keys.ts'
import { NatsCluster } from './nats-cluster.ts'
import { clusterSettings, type NatsClusterOptions } from './options.ts'

/** A node's membership of a NATS cluster, as {@link joinNatsCluster} returns it. */
export interface NatsClusterMembership {
  /** The members, this node among them, sorted by node name (what `system.members()` gives). */
  members(): ClusterMember[]
  /** The members whose heartbeats this node watches (its ring successors). */
  watching(): string[]
  /** Leaves the cluster: releases this node's names and deletes its member key. Leaves the connection open. */
  close(): Promise<void>
}

/**
 * Makes `system` a member of the NATS cluster `options.prefix` names, with no registry node: its
 * names are claimed in a KV bucket (`<prefix>-names`) with leases fenced by the revision of its
 * member key (`<prefix>-members`), its `findActor` and `waitForActor` read a cache kept by a watch
 * of that bucket, and members watch each other's heartbeats in a ring (O(N) messages per interval).
 * The system needs its node-to-node layer (refs are resolved from the addresses in the bucket).
 *
 * @example
 * ```ts
 * const client = await connect({ servers: 'nats://127.0.0.1:4222' })
 * const membership = await joinNatsCluster(system, { client, prefix: 'shop', incarnation })
 * system.members() // [{ node: 'a@…', incarnation, since }, …]
 * await membership.close()
 * ```
 */
export async function joinNatsCluster(
  system: ActorSystem,
  options: NatsClusterOptions,
): Promise<NatsClusterMembership> {
  const settings = clusterSettings(options)
  checkPrefix(settings.prefix)
  const remote = remoteNodeOf(system)
  if (remote === undefined)
    throw new TypeError(
      `${system.node} has no node-to-node layer: start it with a node name to join a NATS cluster`,
    )
  if (system.extensions.has(NATS_CLUSTER))
    throw new TypeError(`${system.node} is a member of a NATS cluster already`)
  const cluster = new NatsCluster(system, remote, settings)
  await cluster.open()
  return {
    members: () => cluster.members(),
    watching: () => cluster.watching(),
    close: () => cluster.close(),
  }
}
