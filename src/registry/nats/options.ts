import type { NatsConnection } from '@nats-io/nats-core'
import { InvalidOptionError } from '../../core/errors.ts'
import type { FollowerTiming } from './kv-follower.ts'

/** A member that left the cluster, or was declared down. */
export interface MemberDown {
  readonly node: string
  readonly incarnation: string
  /** `left` (it said goodbye), or why it was declared down. */
  readonly reason: string
}

/** Options of {@link joinNatsCluster}. */
export interface NatsClusterOptions {
  /** The connection to the cluster's NATS servers; the caller owns it (closing the membership leaves it open). */
  client: NatsConnection
  /**
   * Names the cluster: its buckets are `<prefix>-names` and `<prefix>-members`, its heartbeats go
   * on `<prefix>.hb.<node>`. Letters, digits, `_` and `-`.
   * @default 'troupe'
   */
  prefix?: string
  /** This run of the node, in its member entry and in the entry of every name it claims. */
  incarnation: string
  /**
   * Milliseconds between two heartbeats of this member.
   * @default 250
   */
  heartbeatIntervalMs?: number
  /**
   * A watched member that sends no heartbeat for this long is declared down: its member key and
   * its names are deleted. With the defaults a killed node's names vanish within about 1.5 s.
   * @default 1000
   */
  memberTimeoutMs?: number
  /**
   * How many ring successors each member watches (1 or 2): each member receives this many
   * heartbeats per interval, whatever the size of the cluster.
   * @default 2
   */
  watchedSuccessors?: 1 | 2
  /**
   * Replicas of the buckets (1, 3 or 5); at most the number of servers of the cluster. Buckets
   * that exist already keep theirs.
   * @default 1
   */
  replicas?: number
  /**
   * After a reconnection the watches start again; entries they have not shown again within this
   * many ms are forgotten (their owners put them back as they reconnect).
   * @default memberTimeoutMs
   */
  resyncGraceMs?: number
  /**
   * Deadline of each request to the servers' JetStream (claims, releases, member writes); a claim
   * that fails is tried again after `heartbeatIntervalMs`, the pause doubling up to `memberTimeoutMs`.
   * @default 2000
   */
  requestTimeoutMs?: number
  /** Told of every member that leaves or is declared down (wire `Terminated` `node-down` here). */
  onMemberDown?: (member: MemberDown) => void
}

/** The options with their defaults, checked. */
export type NatsClusterSettings = Required<Omit<NatsClusterOptions, 'onMemberDown'>> &
  Pick<NatsClusterOptions, 'onMemberDown'>

export function clusterSettings(options: NatsClusterOptions): NatsClusterSettings {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  if (typeof options.incarnation !== 'string' || options.incarnation.length === 0)
    throw new InvalidOptionError('incarnation', 'expected a non-empty string')
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 250)
  const memberTimeoutMs = positive('memberTimeoutMs', options.memberTimeoutMs ?? 1000)
  if (memberTimeoutMs <= heartbeatIntervalMs)
    throw new InvalidOptionError(
      'memberTimeoutMs',
      `must exceed heartbeatIntervalMs (${heartbeatIntervalMs}), got ${memberTimeoutMs}`,
    )
  const watchedSuccessors = options.watchedSuccessors ?? 2
  if (watchedSuccessors !== 1 && watchedSuccessors !== 2)
    throw new InvalidOptionError('watchedSuccessors', `expected 1 or 2, got ${String(watchedSuccessors)}`)
  const replicas = options.replicas ?? 1
  if (replicas !== 1 && replicas !== 3 && replicas !== 5)
    throw new InvalidOptionError('replicas', `expected 1, 3 or 5, got ${String(replicas)}`)
  return {
    client: options.client,
    prefix: options.prefix ?? 'troupe',
    incarnation: options.incarnation,
    heartbeatIntervalMs,
    memberTimeoutMs,
    watchedSuccessors,
    replicas,
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 2000),
    resyncGraceMs: positive('resyncGraceMs', options.resyncGraceMs ?? memberTimeoutMs),
    ...(options.onMemberDown === undefined ? {} : { onMemberDown: options.onMemberDown }),
  }
}

/**
 * The watches hear from an idle server every memberTimeoutMs (at least 1 s: a loaded event loop
 * must not pass for a stall), and after a stall try again from one heartbeat interval on, doubling
 * up to twice the member timeout (a JetStream leader election takes seconds).
 */
export function followerTiming(settings: NatsClusterSettings): FollowerTiming {
  return {
    idleHeartbeatMs: Math.max(settings.memberTimeoutMs, 1000),
    retryMs: settings.heartbeatIntervalMs,
    maxRetryMs: 2 * settings.memberTimeoutMs,
  }
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new InvalidOptionError(name, `expected a positive number of milliseconds, got ${String(value)}`)
  return value
}
