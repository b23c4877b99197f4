export type { NatsClusterMembership } from './join.ts'
export { joinNatsCluster } from './join.ts'
export { NATS_CLUSTER } from './nats-cluster.ts'
export type { MemberDown, NatsClusterOptions } from './options.ts'
