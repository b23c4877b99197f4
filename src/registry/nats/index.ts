export { NATS_CLUSTER } from './cluster-key.ts'
export type { NatsClusterMembership } from './join.ts'
export { joinNatsCluster } from './join.ts'
export type { MemberDown, NatsClusterOptions } from './options.ts'
