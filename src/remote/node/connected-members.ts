import { CLUSTER, type ClusterHooks, type ClusterMember, type Runtime } from '../../core/internal.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Peer } from './peer.ts'

interface Connected {
  readonly peer: Peer
  readonly since: Date
}

/**
 * The members of a node that is in no cluster membership (TCP, threads and processes of child
 * nodes): itself and every node it has a live, handshaken connection to, as Erlang's `nodes()`
 * lists the connected nodes. A connection made is a `member-up`, one lost a `member-down`.
 *
 * A cluster membership (NATS) that plugs in under `CLUSTER` replaces it: then this one neither
 * lists nor emits, so that its members and events are the cluster's alone.
 */
export class ConnectedMembers implements ClusterHooks {
  private readonly connected = new Map<string, Connected>()
  private readonly since = new Date()

  constructor(
    private readonly system: ActorSystem,
    private readonly runtime: Runtime,
    /** This run of the node, as its handshakes state it. */
    private readonly incarnation: string,
  ) {
    system.extensions.set(CLUSTER, this)
  }

  members(): ClusterMember[] {
    const members: ClusterMember[] = [
      { node: this.system.node, incarnation: this.incarnation, since: this.since },
    ]
    for (const [node, { peer, since }] of this.connected)
      members.push({ node, incarnation: peer.incarnation, since })
    return members.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
  }

  /** A connection to `peer`'s node was handshaken and adopted (a new peer, not a second connection). */
  up(peer: Peer): void {
    const since = new Date()
    this.connected.set(peer.node, { peer, since })
    if (this.active && this.runtime.inspecting)
      this.runtime.emit({ type: 'member-up', node: peer.node, incarnation: peer.incarnation, since })
  }

  /** `peer` is down (its connection closed, its heartbeats lost, or this node closes); idempotent. */
  down(peer: Peer, reason: string): void {
    if (this.connected.get(peer.node)?.peer !== peer) return
    this.connected.delete(peer.node)
    if (this.active && this.runtime.inspecting)
      this.runtime.emit({ type: 'member-down', node: peer.node, incarnation: peer.incarnation, reason })
  }

  /** Whether this is the system's membership (no cluster membership replaced it). */
  private get active(): boolean {
    return this.system.extensions.get(CLUSTER) === this
  }
}
