import { ExtensionKey } from '../../core/extensions.ts'
import type { NatsCluster } from './nats-cluster.ts'

/**
 * The NATS cluster membership of a system, once it joined one. Apart from the cluster itself, so
 * that what only asks whether a system is in one (`listActors`) loads no NATS client.
 */
export const NATS_CLUSTER = new ExtensionKey<NatsCluster>('NATS cluster membership', 'call joinNatsCluster')
