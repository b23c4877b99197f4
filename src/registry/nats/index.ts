export type { NatsClusterMembership } from './nats-cluster.ts'
export { joinNatsCluster, NATS_CLUSTER } from './nats-cluster.ts'
export type { MemberDown, NatsClusterOptions } from './options.ts'
