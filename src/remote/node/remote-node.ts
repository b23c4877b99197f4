import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { AnyBehavior, Behavior, SpawnOptions } from '../../core/behavior.ts'
import { ActorNotFoundError, InvalidOptionError } from '../../core/errors.ts'
import type { StopReason } from '../../core/inspection.ts'
import { REMOTE, type RemoteHooks, RUNTIME, type Runtime } from '../../core/internal.ts'
import type { ObservedPage, ObserveQuery } from '../../core/observe.ts'
import type { AskOptions, LocalActorHandle, Ref } from '../../core/ref.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Connection, Transport } from '../../transport/transport.ts'
import type { Envelope } from '../../wire/envelope.ts'
import { ContextCaller } from '../portal/context-caller.ts'
import { type NodeEndpoint, parseAddress } from './address.ts'
import { ConnectedMembers } from './connected-members.ts'
import { DeadRef } from './dead-ref.ts'
import { NodeDownError } from './errors.ts'
import { Heartbeats } from './heartbeats.ts'
import { NodeConnections } from './node-connections.ts'
import type { Peer, PeerHost } from './peer.ts'
import { type PeerRouter, RemoteRef } from './remote-ref.ts'
import { Trust, type TrustOptions } from './trust.ts'

/** Options of {@link RemoteNode.call}: an ask's, and a cancellation that still awaits the answer. */
export interface CallOptions extends AskOptions {
  /**
   * Aborting it cancels the remote function, but unlike `signal` the call goes on waiting for its
   * answer: its result, its error, or the `CancelledError` it ended with (as a `RemoteActorError`).
   */
  cancelOn?: AbortSignal
}

/** How a node reaches the cluster registry (the registry layer provides it). */
export interface RegistryClient {
  find(name: string): Promise<Ref | undefined>
  wait(name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Ref>
  /** Where a node whose name carries no endpoint (a child node) listens, if it joined the registry. */
  locate(node: string): Promise<NodeEndpoint | undefined>
}

/**
 * Turns envelopes into frame bodies and back for one connection (its structures are shared along
 * it, so every frame must be decoded, in order); refs inside messages are resolved by the node.
 */
export interface EnvelopeCodec {
  /** One envelope, or a batch of them in one frame. */
  encode(envelopes: Envelope | readonly Envelope[]): Uint8Array
  /** The envelopes of a frame: one, or a batch. */
  decode(body: Uint8Array): Envelope[]
  /** Forgets what was sent so far: for a frame that was encoded but not sent. */
  reset(): void
}

/** Liveness and reconnection settings of a node. */
export interface LivenessOptions {
  /**
   * Milliseconds between heartbeats on every connection.
   * @default 1000
   */
  heartbeatIntervalMs?: number
  /**
   * A node that sends nothing for this long is declared down: its watchers get `Terminated` with
   * reason `node-down` and pending asks reject with `NodeDownError`.
   * @default 3000
   */
  heartbeatTimeoutMs?: number
  /**
   * After a failed connection, the first retry waits this long, doubling up to `reconnectMaxMs`;
   * meanwhile messages to that node are dead letters and asks reject with `NodeDownError`.
   * @default 100
   */
  reconnectMinMs?: number
  /** @default 5000 */
  reconnectMaxMs?: number
}

/**
 * The node-to-node layer of one system: one connection per other node (opened on first use,
 * used both ways), refs to remote actors, remote spawn, watches and links across nodes, and
 * failure detection by heartbeats.
 */
export class RemoteNode implements RemoteHooks, PeerRouter, PeerHost {
  readonly logger: Logger
  readonly runtime: Runtime
  /** Which requests of other nodes this node takes (all, unless it is untrusted). */
  readonly trust: Trust
  /** The nodes this one is connected to, its members unless a cluster membership (NATS) replaces them. */
  readonly members: ConnectedMembers
  private readonly connections: NodeConnections
  private readonly heartbeats: Heartbeats
  private closing = false
  /** Makes the codec of one connection: each connection has its own. */
  codecFor!: () => EnvelopeCodec
  /** The decode budget and `errorStacks` this node was started with, which its child nodes take too. */
  codecSettings: {
    readonly maxDecodedObjects?: number
    readonly maxDecodedErrors?: number
    readonly errorStacks?: boolean
  } = {}
  transport: Transport | undefined

  /** This run of the node, stated on every connection it makes or accepts (TCP, threads, processes). */
  readonly incarnation = randomUUID()
  private readonly closingHooks: (() => Promise<void>)[] = []

  constructor(
    readonly system: ActorSystem,
    readonly liveness: Required<LivenessOptions>,
    untrusted?: TrustOptions['untrusted'],
  ) {
    this.logger = system.logger
    this.runtime = system.extensions.require(RUNTIME)
    system.extensions.set(REMOTE, this)
    this.trust = Trust.of(untrusted, system.node, this.logger, this.runtime)
    this.members = new ConnectedMembers(system, this.runtime, this.incarnation)
    this.connections = new NodeConnections(this)
    this.heartbeats = new Heartbeats(this.connections, liveness, this.logger)
  }

  /** The ref an address names: a local actor, a remote ref, or a dead ref to a local actor that is gone. */
  resolve(address: string): Ref {
    const { node, path } = parseAddress(address)
    return this.refOf(node, path)
  }

  refOf(node: string, path: string): RemoteRef {
    if (node === this.system.node) {
      return (this.system.actorAt(path) ??
        new DeadRef(this.runtime, `troupe://${node}${path}`, path)) as RemoteRef
    }
    const peer = this.connections.peerOf(node)
    return new RemoteRef(this, node, path, peer?.down === false ? peer.incarnation : undefined)
  }

  /** Takes a connection made by either side, once its handshake is done. */
  adopt(connection: Connection, initiated: boolean): Peer | undefined {
    return this.connections.adopt(connection, initiated)
  }

  /**
   * Makes what is sent to `node` wait for the connection `connecting` brings (a child node being
   * started: it connects to this node, not this node to it), and fail as a lost node if it fails.
   */
  awaitConnection(node: string, connecting: Promise<unknown>): void {
    this.connections.awaitConnection(node, connecting)
  }

  // ---- PeerRouter ----

  tell(target: RemoteRef, message: unknown, sender: Ref | undefined): void {
    const connected = this.connections.peerOf(target.node)
    if (connected != null && !connected.down && target.pin(connected.incarnation)) {
      if (connected.spawnFailure(target.path) === undefined) connected.tell(target, message, sender)
      else this.runtime.deadLetter(target, message, sender, 'stopped')
      return
    }
    this.withPeer(target.node, (peer) => {
      if (peer.spawnFailure(target.path) !== undefined)
        this.runtime.deadLetter(target, message, sender, 'stopped')
      else if (peer.down || target.pin(peer.incarnation)) peer.tell(target, message, sender)
      else this.runtime.deadLetter(target, message, sender, 'stopped')
    })
  }

  ask<R>(target: RemoteRef, message: unknown, options: AskOptions | undefined): Promise<R> {
    const ask = this.runtime.asks.open(target, options)
    this.withIncarnation(target, ask, (peer) => {
      const unspawned = peer.spawnFailure(target.path)
      if (unspawned !== undefined) ask.fail(unspawned)
      else peer.ask(ask, target, message)
    })
    return ask.promise as Promise<R>
  }

  /** Runs the exposed function `module`#`name` on `target`'s node as `target`: see `Portal.run`. */
  call<R>(
    target: RemoteRef,
    module: string,
    name: string,
    args: unknown[],
    options: CallOptions | undefined,
  ): Promise<R> {
    const ask = this.runtime.asks.open(target, options)
    this.withIncarnation(target, ask, (peer) => {
      const unspawned = peer.spawnFailure(target.path)
      if (unspawned !== undefined) ask.fail(unspawned)
      else peer.call(ask, target, module, name, args, options?.cancelOn)
    })
    return ask.promise as Promise<R>
  }

  /** Opens a stream of the exposed generator function `module`#`name` on `target`'s node: see `Portal.stream`. */
  stream<T>(
    target: RemoteRef,
    module: string,
    name: string,
    args: unknown[],
    window: number,
    signal: AbortSignal | undefined,
  ): AsyncIterableIterator<T> {
    return this.open(target, module, name, args, window, signal, 'stream').stream<T>()
  }

  /**
   * Opens a context with the exposed function `module`#`name` on `target`'s node (see `Portal.open`);
   * a stream is a context whose callee only yields.
   */
  open(
    target: RemoteRef,
    module: string,
    name: string,
    args: unknown[],
    window: number,
    signal: AbortSignal | undefined,
    mode: 'context' | 'stream' = 'context',
  ): ContextCaller {
    const context = new ContextCaller(mode, window, signal)
    this.withIncarnation(target, context, (peer) => peer.open(context, target, module, name, args))
    return context
  }

  watch(target: RemoteRef, watcher: LocalActorHandle): void {
    this.withPeer(target.node, (peer) => {
      if (peer.down || target.pin(peer.incarnation)) peer.watch(target, watcher)
      else watcher.terminated(target, 'node-down')
    })
  }

  unwatch(target: RemoteRef, watcher: LocalActorHandle): void {
    this.connections.peerOf(target.node)?.unwatch(target, watcher)
  }

  link(target: RemoteRef, actor: LocalActorHandle): void {
    this.withPeer(target.node, (peer) => {
      if (peer.down || target.pin(peer.incarnation)) peer.link(target, actor)
      else actor.exited(target, 'node-down')
    })
  }

  unlink(
    target: RemoteRef,
    actor: LocalActorHandle,
    exit: { reason: StopReason; error: unknown } | undefined,
  ): void {
    this.connections.peerOf(target.node)?.unlink(target, actor, exit)
  }

  // ---- RemoteHooks ----

  /**
   * Starts an actor on `node` and returns its ref at once; the node answers later. When it refuses
   * (it does not expose the definition, say) or the actor fails to start, the reason reaches
   * whoever uses the ref, as an Erlang `spawn_monitor` or an Akka `watch` of a remote deployment
   * does: asks and portal calls reject with it (`RemoteSpawnError: node … does not expose 'X'`),
   * even those sent before the answer came; watchers get `Terminated` with reason `failed` and it
   * as `error`; tells go to dead letters (reason `stopped`). Spawning again under the same name
   * forgets it.
   */
  spawn(node: string, behavior: Behavior<unknown, unknown>, options: SpawnOptions<unknown>): Ref {
    const behaviorName = this.runtime.exposedNames.get(behavior as AnyBehavior)
    if (behaviorName === undefined) {
      throw new InvalidOptionError(
        'on',
        `to spawn on ${node}, expose the definition on both nodes with system.expose({ name: definition })`,
      )
    }
    const name = options.name ?? `${behaviorName}-${randomUUID().slice(0, 8)}`
    const ref = this.refOf(node, `/user/${name}`)
    this.withPeer(node, (peer) => {
      if (!peer.down) ref.pin(peer.incarnation)
      peer.spawn(behaviorName, name, options.props, ref)
    })
    return ref
  }

  /** Set when the node joins a cluster registry. */
  registry: RegistryClient | null = null

  findActor(name: string): Promise<Ref | undefined> {
    return this.registry === null ? Promise.resolve(undefined) : this.registry.find(name)
  }

  waitForActor(name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Ref> {
    if (this.registry === null) return Promise.reject(new ActorNotFoundError(name, timeoutMs))
    return this.registry.wait(name, timeoutMs, signal)
  }

  stop(ref: Ref, reason?: 'stopped' | 'killed'): Promise<void> {
    if (!(ref instanceof RemoteRef))
      return Promise.reject(new TypeError(`${String(ref)} is not a remote actor`))
    return new Promise((resolve, reject) =>
      this.withPeer(ref.node, (peer) => peer.stopActor(ref, reason).then(resolve, reject)),
    )
  }

  snapshot(ref: Ref): Promise<unknown> {
    if (!(ref instanceof RemoteRef))
      return Promise.reject(new TypeError(`${String(ref)} is not a remote actor`))
    return new Promise((resolve, reject) =>
      this.withPeer(ref.node, (peer) => peer.snapshotOf(ref).then(resolve, reject)),
    )
  }

  observe(node: string, query: ObserveQuery): Promise<ObservedPage> {
    return new Promise((resolve, reject) =>
      this.withPeer(node, (peer) => peer.observe(query).then(resolve, reject)),
    )
  }

  /**
   * A cluster's membership found the run `incarnation` of `node` gone: its peer is declared down at
   * once (watchers get `Terminated` with reason `node-down`, pending asks fail with `NodeDownError`).
   */
  declareNodeDown(node: string, incarnation: string, reason: string): void {
    this.connections.declareNodeDown(node, incarnation, reason)
  }

  /**
   * Ends the heartbeats on each connection, for a node whose cluster's membership detects failures
   * itself (over NATS, a ring of O(N) heartbeats in all, where a ping per connection is O(N²)).
   */
  stopPeerHeartbeats(): void {
    this.heartbeats.stop()
  }

  /**
   * Runs `hook` as this node closes: after its actors stopped (their last messages are sent), before
   * its connections close. A cluster membership says goodbye there, so that the others learn of
   * the actors' ends before they learn the node left.
   */
  beforeClose(hook: () => Promise<void>): void {
    this.closingHooks.push(hook)
  }

  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    for (const hook of this.closingHooks.splice(0)) {
      await hook().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'a step of closing the node failed'),
      )
    }
    this.heartbeats.stop()
    this.connections.close()
    // The transport is missing when the node failed to listen: there is nothing to close then.
    await this.transport?.close()
  }

  /** Runs `action` with the peer of `node`: now if connected, after connecting otherwise. */
  /**
   * Runs `send` with the peer of `target`'s node once it is connected, unless that node restarted
   * since the ref was made: then `pending` fails with NodeDownError (a down peer fails it itself).
   */
  private withIncarnation(
    target: RemoteRef,
    pending: { fail(error: unknown): void },
    send: (peer: Peer) => void,
  ): void {
    this.withPeer(target.node, (peer) => {
      if (peer.down || target.pin(peer.incarnation)) send(peer)
      else pending.fail(new NodeDownError(target.node, 'the node restarted since this ref was made'))
    })
  }

  private withPeer(node: string, action: (peer: Peer) => void): void {
    this.connections.withPeer(node, action)
  }
}
