import type { Logger } from 'pino'
import type { AskRef } from '../../core/ask.ts'
import { describeError } from '../../core/describe-error.ts'
import { ActorStoppedError } from '../../core/errors.ts'
import type { StopReason } from '../../core/inspection.ts'
import type { ObservedPage, ObserveQuery } from '../../core/observe.ts'
import type { LocalActorHandle, Ref } from '../../core/ref.ts'
import type { Runtime } from '../../core/runtime.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope } from '../../wire/envelope.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../../wire/frames.ts'
import type { ContextCaller } from '../portal/context-caller.ts'
import { ItemBatcher, itemBudget } from '../portal/item-batcher.ts'
import { PendingRequests } from '../portal/pending-requests.ts'
import { RemoteCalls } from '../portal/remote-calls.ts'
import { ServedCalls } from '../portal/serve-calls.ts'
import type { Channel } from './envelope-channel.ts'
import { NodeDownError } from './errors.ts'
import { LocalTargets } from './local-targets.ts'
import { requestObserve, serveObserve } from './peer-observe.ts'
import { requestSnapshot, serveSnapshot } from './peer-snapshots.ts'
import { PeerWatcher } from './peer-watcher.ts'
import { RemoteAskerRef } from './remote-asker-ref.ts'
import { RemoteRef } from './remote-ref.ts'
import { RemoteSpawns } from './remote-spawns.ts'
import { halvesOf, refusalOf } from './too-large.ts'
import type { Trust } from './trust.ts'

/** The parts of its node a peer works with. */
export interface PeerHost {
  readonly system: ActorSystem
  readonly runtime: Runtime
  readonly logger: Logger
  /** Which of the peer's requests this node takes. */
  readonly trust: Trust
  /** A ref to an actor of `node` at `path`, pinned to that node's current incarnation. */
  refOf(node: string, path: string): RemoteRef
}

/**
 * Everything this node shares with one other node over one connection: asks waiting for replies,
 * watches and links in both directions, and the liveness of the other side. When the connection
 * is lost or the other node stops answering heartbeats, `down` settles all of it at once: asks
 * reject with `NodeDownError`, watchers get `Terminated` with reason `node-down`, linked actors fail.
 */
export class Peer {
  /** When the last frame arrived (heartbeats keep it fresh). */
  lastSeen = Date.now()
  private isDown = false
  private downReason = 'not connected'
  /** Asks and remote work waiting for their answer, by id; watches and spawns take their ids here too. */
  private readonly pending = new PendingRequests()
  /** Calls, streams and contexts this node runs on the peer's node. */
  private readonly calls: RemoteCalls
  /** Calls, streams and contexts of this node's functions that the peer runs here. */
  private readonly served: ServedCalls
  /** Watches and links between this node's actors and the peer's, both ways. */
  private readonly watcher: PeerWatcher
  /** Spawns and stops: this node's of the peer's actors, and the peer's served here. */
  private readonly spawns: RemoteSpawns
  /** Where the peer's tells and asks go. */
  private readonly targets: LocalTargets

  constructor(
    private readonly host: PeerHost,
    readonly node: string,
    readonly incarnation: string,
    private channel: Channel,
  ) {
    const portalHost = {
      node,
      pending: this.pending,
      system: host.system,
      logger: host.logger,
      downError: () => (this.isDown ? new NodeDownError(this.node, this.downReason) : undefined),
      send: (envelope: Envelope) => this.send(envelope),
      itemBatcher: (send: (values: unknown[]) => void) => this.itemBatcher(send),
      spawnFailure: (path: string) => this.spawnFailure(path),
      callRefusal: (module: string, name: string) => host.trust.callRefusal(node, module, name),
    }
    this.calls = new RemoteCalls(portalHost)
    this.served = new ServedCalls(portalHost)
    const isDown = () => this.isDown
    const peerHost = {
      node,
      system: host.system,
      runtime: host.runtime,
      logger: host.logger,
      trust: host.trust,
      get down() {
        return isDown()
      },
      downReason: () => (this.isDown ? this.downReason : undefined),
      newId: () => this.pending.newId(),
      send: (envelope: Envelope) => this.send(envelope),
      refOf: (node: string, path: string) => host.refOf(node, path),
      spawnFailure: (path: string) => this.spawnFailure(path),
    }
    this.watcher = new PeerWatcher(peerHost)
    this.spawns = new RemoteSpawns(peerHost)
    this.targets = new LocalTargets(host.system, host.runtime, host.refOf.bind(host))
    channel.refused = (envelope, error) => this.refuse(envelope, error)
  }

  get down(): boolean {
    return this.isDown
  }

  /**
   * Sends over another connection to the same life of the node from now on (of two simultaneous
   * connections, the one both nodes keep), keeping every pending ask, call, stream and watch.
   */
  switchChannel(channel: Channel): void {
    // What the old channel gathered goes first, on the old connection, which the peer still reads.
    this.channel.flush?.()
    channel.refused = (envelope, error) => this.refuse(envelope, error)
    this.channel = channel
  }

  /**
   * Sends an envelope; never throws. One that cannot be encoded (a function in a message, a
   * cycle) is refused here, where its sender can be told: an ask rejects, a reply becomes the
   * asker's error, a tell becomes a dead letter.
   */
  send(envelope: Envelope): void {
    if (this.isDown) return
    try {
      this.channel.send(envelope)
    } catch (error) {
      this.refuse(envelope, error)
    }
  }

  private refuse(envelope: Envelope, thrown: unknown): void {
    const halves = halvesOf(envelope, thrown)
    if (halves !== undefined) {
      for (const half of halves) this.send(half)
      return
    }
    const error = refusalOf(
      envelope,
      thrown,
      'id' in envelope && envelope.id !== undefined ? this.served.modeOf(envelope.id) : undefined,
    )
    this.host.logger.warn(
      { err: error, peer: this.node },
      `cannot send a '${envelope.kind}' to ${this.node}: ${describeError(error)}`,
    )
    if (this.calls.refused(envelope, error) || this.served.refused(envelope, error)) return
    switch (envelope.kind) {
      case 'ask':
        this.pending.take(envelope.id)?.failed(error)
        return
      case 'reply':
        this.send({ kind: 'error', id: envelope.id, error })
        return
      case 'tell':
        this.host.runtime.deadLetter(
          this.host.refOf(this.node, envelope.to),
          envelope.message,
          undefined,
          'stopped',
        )
        return
      case 'error':
        if (!(envelope.error instanceof Error && envelope.error.message.startsWith('unsendable:'))) {
          this.send({
            kind: 'error',
            id: envelope.id,
            error: new Error(`unsendable: ${describeError(envelope.error)}`),
          })
        }
        return
      default:
        return
    }
  }

  // ---- outgoing: what local actors do with the peer's actors ----

  tell(target: RemoteRef, message: unknown, sender: Ref | undefined): void {
    if (this.isDown) {
      this.host.runtime.deadLetter(target, message, sender, 'stopped')
      return
    }
    const from = sender === undefined || sender instanceof RemoteRef ? undefined : sender.address
    this.send(
      from === undefined
        ? { kind: 'tell', to: target.path, message }
        : { kind: 'tell', to: target.path, from, message },
    )
  }

  ask(ask: AskRef, target: RemoteRef, message: unknown): void {
    if (this.isDown) {
      ask.fail(new NodeDownError(this.node, this.downReason))
      return
    }
    const id = this.pending.add({
      answered: (message) => ask.tell(message),
      refused: (error) => {
        // An ask sent before the answer to its actor's spawn: the spawn's failure says why.
        const unspawned = error instanceof ActorStoppedError ? this.spawnFailure(ask.target.path) : undefined
        ask.fail(unspawned ?? error)
      },
      failed: (error) => ask.fail(error),
    })
    const forget = () => this.pending.delete(id)
    ask.promise.then(forget, forget)
    this.send({ kind: 'ask', to: target.path, id, message })
  }

  /** See `RemoteCalls.call`. */
  call(
    ask: AskRef,
    target: RemoteRef,
    module: string,
    name: string,
    args: unknown[],
    cancelOn?: AbortSignal,
  ): void {
    this.calls.call(ask, target, module, name, args, cancelOn)
  }

  /** See `RemoteCalls.open`: a stream or a context. */
  open(context: ContextCaller, target: RemoteRef, module: string, name: string, args: unknown[]): void {
    this.calls.open(context, target, module, name, args)
  }

  watch(target: RemoteRef, watcher: LocalActorHandle): void {
    this.watcher.watch(target, watcher)
  }

  unwatch(target: RemoteRef, watcher: LocalActorHandle): void {
    this.watcher.unwatch(target, watcher)
  }

  link(target: RemoteRef, actor: LocalActorHandle): void {
    this.watcher.link(target, actor)
  }

  unlink(
    target: RemoteRef,
    actor: LocalActorHandle,
    exit: { reason: StopReason; error: unknown } | undefined,
  ): void {
    this.watcher.unlink(target, actor, exit)
  }

  /** Why the spawn of the actor at `path` on the peer failed, if it did. */
  spawnFailure(path: string): unknown {
    return this.spawns.failureOf(path)
  }

  spawn(behavior: string, name: string, props: unknown, ref: RemoteRef): void {
    this.spawns.spawn(behavior, name, props, ref)
  }

  stopActor(target: RemoteRef, reason?: 'stopped' | 'killed'): Promise<void> {
    return this.spawns.stop(target, reason)
  }

  /** The snapshot of the peer's actor `target`: its node answers with a `reply` or an `error`. */
  snapshotOf(target: RemoteRef): Promise<unknown> {
    if (this.isDown) return Promise.reject(new NodeDownError(this.node, this.downReason))
    return requestSnapshot(this.pending, (envelope) => this.send(envelope), target.path)
  }

  /** One page of the peer's actors under `query.parent` (`system.observe`): a `reply` or an `error`. */
  observe(query: ObserveQuery): Promise<ObservedPage> {
    if (this.isDown) return Promise.reject(new NodeDownError(this.node, this.downReason))
    return requestObserve(this.pending, (envelope) => this.send(envelope), query)
  }

  // ---- incoming ----

  receive(envelope: Envelope): void {
    this.lastSeen = Date.now()
    switch (envelope.kind) {
      case 'tell':
        this.targets.deliver(
          envelope.to,
          envelope.message,
          envelope.from === undefined ? undefined : this.senderOf(envelope.from),
        )
        return
      case 'ask':
        this.targets.deliver(
          envelope.to,
          envelope.message,
          new RemoteAskerRef((answer) => this.send(answer), envelope.id, `troupe://${this.node}`),
        )
        return
      case 'open':
        this.served.open(envelope)
        return
      case 'started':
        this.calls.started(envelope.id, envelope.first)
        return
      case 'items':
        if (envelope.by === 'callee') this.calls.items(envelope.id, envelope.values)
        else this.served.items(envelope.id, envelope.values)
        return
      case 'credit':
        if (envelope.by === 'callee') this.calls.credit(envelope.id, envelope.n)
        else this.served.credit(envelope.id, envelope.n)
        return
      case 'end':
        if (envelope.by === 'callee') this.pending.take(envelope.id)?.answered(envelope.value)
        else this.served.end(envelope.id)
        return
      case 'cancel':
        this.served.cancel(envelope.id, envelope.reason)
        return
      case 'reply':
        this.pending.take(envelope.id)?.answered(envelope.message)
        return
      case 'error':
        this.onError(envelope.id, envelope.error, envelope.uid)
        return
      case 'watch':
        this.watcher.watched(envelope.watcher, envelope.target)
        return
      case 'unwatch':
        this.watcher.unwatched(envelope.watcher, envelope.target)
        return
      case 'terminated':
        this.watcher.terminated(envelope)
        return
      case 'link':
        this.watcher.linked(envelope.a, envelope.b)
        return
      case 'unlink':
        this.watcher.unlinked(envelope.a, envelope.b)
        return
      case 'exit':
        this.watcher.exited(envelope)
        return
      case 'stop':
        this.spawns.serveStop(envelope.target, envelope.id, envelope.reason)
        return
      case 'snapshot':
        serveSnapshot(this.host, this.node, (answer) => this.send(answer), envelope.target, envelope.id)
        return
      case 'observe':
        serveObserve(this.host, this.node, (answer) => this.send(answer), envelope)
        return
      case 'spawn':
        this.spawns.serveSpawn(envelope.id, envelope.behavior, envelope.name, envelope.props)
        return
      case 'spawned':
        this.spawns.spawned(envelope.id)
        return
      case 'ping':
        this.send({ kind: 'pong', at: envelope.at })
        return
      case 'pong':
        return
    }
  }

  /** The connection is gone or silent: settle everything that waited on this node. */
  markDown(reason: string, cut = true): void {
    if (this.isDown) return
    this.isDown = true
    this.downReason = reason
    const error = new NodeDownError(this.node, reason)
    this.pending.failAll(error)
    this.served.lost(error)
    this.watcher.lost(error)
    this.channel.close(cut ? error : undefined)
  }

  private senderOf(address: string): Ref {
    const slash = address.indexOf('/', 'troupe://'.length)
    return this.host.refOf(this.node, address.slice(slash))
  }

  private onError(id: number, error: unknown, uid: string | undefined): void {
    const pending = this.pending.take(id)
    if (pending !== undefined) {
      pending.refused(error, uid)
      return
    }
    this.spawns.failed(id, error)
  }

  /** Values gathered for one turn of the event loop and sent together, in frames within the connection's limit. */
  private itemBatcher(send: (values: unknown[]) => void): ItemBatcher {
    return new ItemBatcher(send, () => itemBudget(this.channel.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES))
  }
}
