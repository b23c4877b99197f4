import type { Logger } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import { LogLimiter, suppressedTail } from '../../transport/log-limiter.ts'
import type { Connection, Transport } from '../../transport/transport.ts'
import type { Envelope } from '../../wire/envelope.ts'
import { ProtocolError } from '../../wire/errors.ts'
import { endpointOf } from './address.ts'
import type { ConnectedMembers } from './connected-members.ts'
import { type Channel, envelopeChannel } from './envelope-channel.ts'
import { Peer, type PeerHost } from './peer.ts'
import type { EnvelopeCodec, LivenessOptions, RegistryClient } from './remote-node.ts'

/** What the connections of a node need of it. */
export interface ConnectionsHost extends PeerHost {
  readonly liveness: Required<LivenessOptions>
  readonly transport: Transport | undefined
  readonly registry: RegistryClient | null
  /** What learns of each peer that comes up and goes down (`system.members()`). */
  readonly members: ConnectedMembers
  /** Makes the codec of one connection: each connection has its own. */
  codecFor(): EnvelopeCodec
}

/** How often a refused claim of the same node's name is logged again at most. */
const CLAIM_LOG_EVERY_MS = 10_000

interface Slot {
  peer: Peer | null
  /** The connection the peer sends on, and whether this node opened it. */
  connection: Connection | null
  initiated: boolean
  /** What waits for the connection being made, in the order it was asked. */
  waiting: ((peer: Peer) => void)[]
  connecting: boolean
  failures: number
  retryAt: number
  lastError: string
  /**
   * Why the node is unreachable: its heartbeats were lost and no connection has been made since.
   * Until one is, what is sent to it fails at once (as a lost node) while reconnects go on behind.
   */
  unreachable: string | undefined
}

/**
 * One slot per other node: its peer, the connection the peer sends on, what waits for it, and the
 * backoff after a failed connect. A connection made by either side is adopted into its node's slot;
 * two made at once share one peer.
 */
export class NodeConnections {
  private readonly slots = new Map<string, Slot>()
  private closing = false
  private readonly logger: Logger
  private readonly claimLog = new LogLimiter(CLAIM_LOG_EVERY_MS)

  constructor(private readonly host: ConnectionsHost) {
    this.logger = host.logger
  }

  /** The peer of `node` if there is one, down or not. */
  peerOf(node: string): Peer | null | undefined {
    return this.slots.get(node)?.peer
  }

  /** The peers that are up, for heartbeats. */
  *livePeers(): IterableIterator<Peer> {
    for (const slot of this.slots.values()) {
      const peer = slot.peer
      if (peer !== null && !peer.down) yield peer
    }
  }

  /** Declares `peer` down and frees its slot for a new connection. */
  declareDown(peer: Peer, reason: string, cut = true): void {
    this.markDown(peer, reason, cut)
    const slot = this.slots.get(peer.node)
    if (slot?.peer !== peer) return
    slot.peer = null
    slot.unreachable = reason
  }

  /**
   * Declares the peer of `node` down if it is the run `incarnation` names and still up: a cluster's
   * membership found that run gone (its watchers get `Terminated` with reason `node-down`). Its
   * connection is closed cleanly: the node may only have left the cluster as it shuts down.
   */
  declareNodeDown(node: string, incarnation: string, reason: string): void {
    const slot = this.slots.get(node)
    if (slot === undefined) return
    const peer = slot.peer
    if (peer !== null && !peer.down) {
      if (peer.incarnation === incarnation) this.declareDown(peer, reason, false)
      return
    }
    // Not connected: what waits for a connection to it fails now, not at the handshake's deadline,
    // and what is sent to it fails fast until a connection is made (a new run of it, say).
    slot.unreachable = reason
    const waiting = slot.waiting
    slot.waiting = []
    if (waiting.length === 0) return
    const down = this.downPeer(node, reason)
    for (const action of waiting) action(down)
  }

  /**
   * Takes a connection made by either side, once its handshake is done. A node's name is bound to
   * the connection it proved first: a connection another node opened that claims the name of a
   * live peer with another incarnation is refused (closed, and `undefined` returned) until that
   * peer is proven gone, by its connection closing or its heartbeats being lost. Without this any
   * holder of the cookie could take a live node's name and the replies meant for it. A connection
   * with the same incarnation is the same run of the node (two nodes that connected at once, or a
   * reconnect), and one this node opened to the node's own address is believed over the live one.
   */
  adopt(connection: Connection, initiated: boolean): Peer | undefined {
    const node = connection.peer.node
    const slot = this.slotOf(node)
    const current = slot.peer
    if (
      current !== null &&
      !current.down &&
      current.incarnation !== connection.peer.incarnation &&
      !initiated
    ) {
      this.refuseClaim(connection, current)
      return undefined
    }
    const codec = this.host.codecFor()
    const channel = envelopeChannel(connection, codec)
    if (current !== null && !current.down && current.incarnation === connection.peer.incarnation) {
      this.merge(slot, current, connection, channel, codec, initiated)
      return current
    }
    if (current !== null && !current.down) this.markDown(current, 'it restarted (a new incarnation)')
    const peer = new Peer(this.host, node, connection.peer.incarnation, channel)
    slot.peer = peer
    this.host.members.up(peer)
    slot.connection = connection
    slot.initiated = initiated
    slot.failures = 0
    slot.unreachable = undefined
    this.receiveFrom(connection, codec, peer, slot)
    const waiting = slot.waiting
    slot.waiting = []
    for (const action of waiting) action(peer)
    return peer
  }

  /** Closes a connection that claims the name of `current`, a live peer of another incarnation. */
  private refuseClaim(connection: Connection, current: Peer): void {
    const node = connection.peer.node
    const reason = new ProtocolError(
      `refused a connection from ${connection.remoteAddress} that claims to be node ${node}: a live ${node} is connected (another incarnation) and answers its heartbeats; a restarted ${node} is taken once the old connection closes or its heartbeats are lost`,
    )
    connection.close(reason)
    const suppressed = this.claimLog.admit(node)
    if (suppressed === undefined) return
    this.logger.warn(
      { peer: node, remote: connection.remoteAddress, incarnation: current.incarnation },
      `${reason.message}${suppressedTail(suppressed)}`,
    )
  }

  /**
   * Both nodes connected at once: both send on the connection the smaller name opened, and read
   * both, so that nothing sent on either is lost. The node that opened the other one closes it
   * once the frames sent on it before both switched have surely arrived.
   */
  private merge(
    slot: Slot,
    peer: Peer,
    connection: Connection,
    channel: Channel,
    codec: EnvelopeCodec,
    initiated: boolean,
  ): void {
    let loser: Connection
    let loserInitiated: boolean
    if (this.keepsNew(peer.node, initiated)) {
      loser = slot.connection!
      loserInitiated = slot.initiated
      peer.switchChannel(channel)
      slot.connection = connection
      slot.initiated = initiated
    } else {
      loser = connection
      loserInitiated = initiated
    }
    this.receiveFrom(connection, codec, peer, slot)
    if (loserInitiated) {
      const retire = setTimeout(() => loser.close(), this.host.liveness.heartbeatIntervalMs)
      retire.unref()
      void loser.closed().then(() => clearTimeout(retire))
    }
  }

  /** Delivers the frames of `connection` to `peer`; the peer is down when its connection closes. */
  private receiveFrom(connection: Connection, codec: EnvelopeCodec, peer: Peer, slot: Slot): void {
    const node = peer.node
    const logger = this.logger
    connection.onFrame((body) => {
      let envelopes: Envelope[]
      try {
        envelopes = codec.decode(body)
      } catch (error) {
        const reason =
          error instanceof ProtocolError ? error : new ProtocolError('undecodable frame', { cause: error })
        logger.warn({ err: reason, peer: node }, `closing the connection to ${node}: ${reason.message}`)
        connection.close(reason)
        return
      }
      for (const envelope of envelopes) peer.receive(envelope)
    })
    void connection.closed().then((error) => {
      // A connection retired after a simultaneous connect leaves the peer on the other one.
      if (slot.peer === peer && slot.connection !== connection) return
      if (slot.peer === peer) slot.peer = null
      this.markDown(peer, error === undefined ? 'the connection closed' : error.message)
    })
  }

  /**
   * Makes what is sent to `node` wait for the connection `connecting` brings (a child node being
   * started: it connects to this node, not this node to it), and fail as a lost node if it fails.
   */
  awaitConnection(node: string, connecting: Promise<unknown>): void {
    const slot = this.slotOf(node)
    if (slot.peer !== null && !slot.peer.down) return
    slot.connecting = true
    connecting.then(
      () => {
        slot.connecting = false
      },
      (error: unknown) => {
        slot.connecting = false
        const waiting = slot.waiting
        slot.waiting = []
        const down = this.downPeer(
          node,
          `it did not start: ${error instanceof Error ? error.message : String(error)}`,
        )
        for (const action of waiting) action(down)
      },
    )
  }

  /** Runs `action` with the peer of `node`: now if connected, after connecting otherwise. */
  withPeer(node: string, action: (peer: Peer) => void): void {
    const slot = this.slotOf(node)
    if (slot.peer !== null && !slot.peer.down) {
      action(slot.peer)
      return
    }
    if (this.closing || Date.now() < slot.retryAt) {
      action(this.downPeer(node, this.closing ? 'this node is shutting down' : slot.lastError))
      return
    }
    // A node lost to a partition (or frozen) is not waited for: an attempt to reach it could hang
    // until its deadline, so sends fail fast while the reconnect runs behind them.
    if (slot.unreachable !== undefined) {
      if (!slot.connecting) void this.connect(node, slot)
      action(this.downPeer(node, slot.unreachable))
      return
    }
    slot.waiting.push(action)
    if (!slot.connecting) void this.connect(node, slot)
  }

  /** Declares every peer down, closing each connection cleanly (what was sent is flushed): the node is shutting down, and connects no more. */
  close(): void {
    this.closing = true
    for (const slot of this.slots.values())
      if (slot.peer !== null) this.markDown(slot.peer, 'this node is shutting down', false)
  }

  /** Declares a peer this node adopted down (see `Peer.markDown`), and so no member now. */
  private markDown(peer: Peer, reason: string, cut = true): void {
    peer.markDown(reason, cut)
    this.host.members.down(peer, reason)
  }

  private async connect(node: string, slot: Slot): Promise<void> {
    slot.connecting = true
    try {
      const transport = this.host.transport
      // A transport that listens on no port (NATS, the in-process network) finds nodes by name.
      const byName = transport !== undefined && transport.listening === undefined
      const endpoint = byName ? undefined : (endpointOf(node) ?? (await this.host.registry?.locate(node)))
      if (endpoint === undefined && !byName)
        throw new InvalidOptionError(
          'node',
          `'${node}' names no host and port (name@host:port), and no cluster registry knows where it listens`,
        )
      if (transport === undefined) throw new InvalidOptionError('node', 'this node has no transport')
      const connection = await transport.connect(endpoint, node)
      if (connection.peer.node !== node) {
        connection.close()
        const where = endpoint === undefined ? connection.remoteAddress : `${endpoint.host}:${endpoint.port}`
        throw new ProtocolError(`${where} is node ${connection.peer.node}, not ${node}`)
      }
      slot.connecting = false
      if (this.adopt(connection, true) === undefined && slot.peer === null)
        throw new Error('connection refused')
    } catch (error) {
      slot.connecting = false
      slot.failures++
      slot.lastError = error instanceof Error ? error.message : String(error)
      const { reconnectMinMs, reconnectMaxMs } = this.host.liveness
      const delay = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** (slot.failures - 1))
      slot.retryAt = Date.now() + delay
      this.logger.warn(
        { peer: node },
        `cannot reach node ${node} (${slot.lastError}); retrying in ${delay} ms at the earliest`,
      )
      const waiting = slot.waiting
      slot.waiting = []
      const down = this.downPeer(node, slot.lastError)
      for (const action of waiting) action(down)
    }
  }

  /** A peer that is down from the start, so that every action fails the way a lost node does. */
  private downPeer(node: string, reason: string): Peer {
    const peer = new Peer(this.host, node, '', { send: () => {}, close: () => {} })
    peer.markDown(reason)
    return peer
  }

  private slotOf(node: string): Slot {
    let slot = this.slots.get(node)
    if (slot === undefined) {
      slot = {
        peer: null,
        connection: null,
        initiated: false,
        waiting: [],
        connecting: false,
        failures: 0,
        retryAt: 0,
        lastError: '',
        unreachable: undefined,
      }
      this.slots.set(node, slot)
    }
    return slot
  }

  /** Of two simultaneous connections, both nodes keep the one the smaller node name opened. */
  private keepsNew(peerNode: string, initiated: boolean): boolean {
    const iAmSmaller = this.host.system.node < peerNode
    return initiated === iAmSmaller
  }
}
