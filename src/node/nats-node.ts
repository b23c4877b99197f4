import type { ActorSystem } from '../core/system.ts'
import { RegistryUnavailableError } from '../registry/errors.ts'
import { joinNatsCluster } from '../registry/nats/index.ts'
import type { LivenessOptions, RemoteNode } from '../remote/node/remote-node.ts'
import { attachServices } from '../services/index.ts'
import { type NatsOptions, type NatsTransport, natsOptionsOf } from '../transport/nats/index.ts'

/** @default 250: over NATS, `heartbeatIntervalMs` is the period of the membership ring's heartbeats. */
export const NATS_HEARTBEAT_INTERVAL_MS = 250

/**
 * Makes a node started on NATS a member of its cluster and gives it services, both on the
 * transport's connection and prefix. The membership's ring of heartbeats (each member watches two
 * others: O(N) messages per interval) takes over failure detection from the per-connection pings
 * (O(N²) when every node talks to every other): a member it finds gone is declared down to the
 * node-to-node layer. `heartbeatIntervalMs` and `heartbeatTimeoutMs` set the ring's period and
 * the silence after which a member is declared down; with the defaults (250 ms, four periods) a
 * killed node's names are gone from every node within about 1.5 s.
 */
export async function joinNatsNode(
  system: ActorSystem,
  remote: RemoteNode,
  transport: NatsTransport,
  nats: NatsOptions | string | readonly string[],
  liveness: LivenessOptions,
): Promise<void> {
  const heartbeatIntervalMs = liveness.heartbeatIntervalMs ?? NATS_HEARTBEAT_INTERVAL_MS
  const memberTimeoutMs = liveness.heartbeatTimeoutMs ?? 4 * heartbeatIntervalMs
  const { client, prefix } = transport
  attachServices(system, { client, prefix })
  try {
    await joinNatsCluster(system, {
      client,
      prefix,
      incarnation: remote.incarnation,
      heartbeatIntervalMs,
      memberTimeoutMs,
      replicas: natsOptionsOf(nats).replicas ?? 1,
    })
  } catch (error) {
    throw new RegistryUnavailableError(`NATS ${client.getServer()} (prefix ${prefix})`, whyUnavailable(error))
  }
  remote.stopPeerHeartbeats()
}

/** Why the cluster's buckets could not be opened, said so that the fix is plain. */
function whyUnavailable(error: unknown): unknown {
  const noResponders =
    typeof (error as { isNoResponders?: unknown })?.isNoResponders === 'function' &&
    (error as { isNoResponders(): boolean }).isNoResponders()
  const jetStreamMissing =
    noResponders || (error instanceof Error && /\$JS\.API|jetstream (is )?not enabled/i.test(error.message))
  if (!jetStreamMissing) return error
  return new Error(
    'the server has no JetStream, where the cluster keeps its names and members: start nats-server with -js',
    { cause: error },
  )
}
