import type { Logger } from 'pino'
import type { AskRef } from '../../core/ask.ts'
import type { Behavior } from '../../core/behavior.ts'
import { type LocalActor, localActor } from '../../core/internal.ts'
import { ActorStoppedError } from '../../core/errors.ts'
import type { StopReason } from '../../core/inspection.ts'
import type { LocalActorHandle, Ref } from '../../core/ref.ts'
import type { Runtime } from '../../core/runtime.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope, WireStopReason } from '../../wire/envelope.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../../wire/frames.ts'
import { ItemBatcher, itemBudget } from '../portal/item-batcher.ts'
import type { ContextCaller } from '../portal/context-caller.ts'
import { PendingRequests } from '../portal/pending-requests.ts'
import { RemoteCalls } from '../portal/remote-calls.ts'
import { ServedCalls } from '../portal/serve-calls.ts'
import { NodeDownError, RemoteSpawnError } from './errors.ts'
import { RemoteAskerRef } from './remote-asker-ref.ts'
import { RemoteRef } from './remote-ref.ts'
import { halvesOf, refusalOf } from './too-large.ts'

/** Most local actors a peer remembers by path (see `Peer.target`). */
const MAX_REMEMBERED_TARGETS = 10_000

/** What a peer needs of one connection to its node: envelopes out, and closing. */
export interface Channel {
  /** Throws if the envelope cannot be sent: `EncodeError`, `MessageTooLargeError` for a frame over the limit. */
  send(envelope: Envelope): void
  close(error?: Error): void
  /**
   * The largest frame body the connection carries.
   * @default 1048576 (`DEFAULT_MAX_FRAME_BYTES`)
   */
  readonly maxFrameBytes?: number
}

/** The parts of its node a peer works with. */
export interface PeerHost {
  readonly system: ActorSystem
  readonly runtime: Runtime
  readonly logger: Logger
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
  /** Local watchers of this node's actors, by the id this node gave them. */
  private readonly watchers = new Map<number, { watcher: LocalActorHandle; target: RemoteRef }>()
  private readonly watcherIds = new Map<LocalActorHandle, Map<string, number>>()
  /** This node's actors watched from the peer, with the function that stops watching. */
  private readonly watchedHere = new Map<string, () => void>()
  /** Links between an actor of this node and one of the peer: key `local|remote`. */
  private readonly links = new Map<string, { local: LocalActorHandle; remote: RemoteRef }>()
  /** Remote spawns waiting for their answer. */
  private readonly spawns = new Map<number, { behavior: string; ref: RemoteRef }>()
  private readonly failedSpawns = new Map<string, unknown>()
  private readonly targets = new Map<string, LocalActor>()

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
    }
    this.calls = new RemoteCalls(portalHost)
    this.served = new ServedCalls(portalHost)
  }

  get down(): boolean {
    return this.isDown
  }

  /**
   * Sends over another connection to the same life of the node from now on (of two simultaneous
   * connections, the one both nodes keep), keeping every pending ask, call, stream and watch.
   */
  switchChannel(channel: Channel): void {
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
    const error = refusalOf(envelope, thrown, 'id' in envelope ? this.served.modeOf(envelope.id) : undefined)
    this.host.logger.warn(
      { err: error, peer: this.node },
      `cannot send a '${envelope.kind}' to ${this.node}: ${describe(error)}`,
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
            error: new Error(`unsendable: ${describe(envelope.error)}`),
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
    if (this.isDown) {
      watcher.terminated(target, 'node-down')
      return
    }
    const failed = this.failedSpawns.get(target.path)
    if (failed !== undefined) {
      watcher.terminated(target, 'failed', failed)
      return
    }
    let ids = this.watcherIds.get(watcher)
    if (ids === undefined) {
      ids = new Map()
      this.watcherIds.set(watcher, ids)
    }
    if (ids.has(target.path)) return
    const id = this.pending.newId()
    ids.set(target.path, id)
    this.watchers.set(id, { watcher, target })
    this.send({ kind: 'watch', watcher: `${id}`, target: target.path })
  }

  unwatch(target: RemoteRef, watcher: LocalActorHandle): void {
    const ids = this.watcherIds.get(watcher)
    const id = ids?.get(target.path)
    if (id === undefined) return
    ids!.delete(target.path)
    if (ids!.size === 0) this.watcherIds.delete(watcher)
    this.watchers.delete(id)
    this.send({ kind: 'unwatch', watcher: `${id}`, target: target.path })
  }

  link(target: RemoteRef, actor: LocalActorHandle): void {
    const local = actor.ref
    if (local === undefined) throw new TypeError('only actors can link')
    if (this.isDown) {
      actor.exited(target, 'node-down')
      return
    }
    this.links.set(`${local.path}|${target.path}`, { local: actor, remote: target })
    this.send({ kind: 'link', a: local.path, b: target.path })
  }

  unlink(
    target: RemoteRef,
    actor: LocalActorHandle,
    exit: { reason: StopReason; error: unknown } | undefined,
  ): void {
    const local = actor.ref
    if (local === undefined) return
    this.links.delete(`${local.path}|${target.path}`)
    if (exit === undefined) this.send({ kind: 'unlink', a: local.path, b: target.path })
    else
      this.send({ kind: 'exit', from: local.path, to: target.path, reason: exit.reason, error: exit.error })
  }

  /** Why the spawn of the actor at `path` on the peer failed, if it did. */
  spawnFailure(path: string): unknown {
    return this.failedSpawns.size === 0 ? undefined : this.failedSpawns.get(path)
  }

  spawn(behavior: string, name: string, props: unknown, ref: RemoteRef): void {
    this.failedSpawns.delete(ref.path)
    if (this.isDown) {
      this.failedSpawns.set(ref.path, new NodeDownError(this.node, this.downReason))
      return
    }
    const id = this.pending.newId()
    this.spawns.set(id, { behavior, ref })
    this.send(
      props === undefined
        ? { kind: 'spawn', id, behavior, name }
        : { kind: 'spawn', id, behavior, name, props },
    )
  }

  stopActor(target: RemoteRef): void {
    this.send({ kind: 'stop', target: target.path })
  }

  // ---- incoming ----

  receive(envelope: Envelope): void {
    this.lastSeen = Date.now()
    switch (envelope.kind) {
      case 'tell':
        this.deliver(
          envelope.to,
          envelope.message,
          envelope.from === undefined ? undefined : this.senderOf(envelope.from),
        )
        return
      case 'ask':
        this.deliver(
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
        this.onWatch(envelope.watcher, envelope.target)
        return
      case 'unwatch': {
        const key = `${envelope.watcher}|${envelope.target}`
        this.watchedHere.get(key)?.()
        this.watchedHere.delete(key)
        return
      }
      case 'terminated': {
        const entry = this.watchers.get(Number(envelope.watcher))
        if (entry === undefined) return
        this.watchers.delete(Number(envelope.watcher))
        this.watcherIds.get(entry.watcher)?.delete(entry.target.path)
        const failed = this.failedSpawns.get(entry.target.path)
        if (failed !== undefined) entry.watcher.terminated(entry.target, 'failed', failed)
        else entry.watcher.terminated(entry.target, stopReason(envelope.reason), envelope.error)
        return
      }
      case 'link':
        this.onLink(envelope.a, envelope.b)
        return
      case 'unlink': {
        const entry = this.links.get(`${envelope.b}|${envelope.a}`)
        this.links.delete(`${envelope.b}|${envelope.a}`)
        const cell = this.host.system.actorAt(envelope.b)
        if (entry !== undefined) localActor(cell)?.forgetLink(entry.remote)
        return
      }
      case 'exit': {
        const entry = this.links.get(`${envelope.to}|${envelope.from}`)
        this.links.delete(`${envelope.to}|${envelope.from}`)
        const from = entry?.remote ?? this.host.refOf(this.node, envelope.from)
        entry?.local.exited(from, envelope.reason, envelope.error)
        return
      }
      case 'stop': {
        const target = this.host.system.actorAt(envelope.target)
        if (target !== undefined) void this.host.system.stop(target)
        return
      }
      case 'spawn':
        this.onSpawn(envelope.id, envelope.behavior, envelope.name, envelope.props)
        return
      case 'spawned':
        this.spawns.delete(envelope.id)
        return
      case 'ping':
        this.send({ kind: 'pong', at: envelope.at })
        return
      case 'pong':
        return
    }
  }

  /** The connection is gone or silent: settle everything that waited on this node. */
  markDown(reason: string): void {
    if (this.isDown) return
    this.isDown = true
    this.downReason = reason
    const error = new NodeDownError(this.node, reason)
    this.pending.failAll(error)
    this.served.lost(error)
    for (const { watcher, target } of this.watchers.values()) watcher.terminated(target, 'node-down')
    this.watchers.clear()
    this.watcherIds.clear()
    for (const stop of this.watchedHere.values()) stop()
    this.watchedHere.clear()
    for (const { local, remote } of this.links.values()) local.exited(remote, 'node-down', error)
    this.links.clear()
    this.channel.close(error)
  }

  private deliver(path: string, message: unknown, sender: Ref | undefined): void {
    const target = this.target(path)
    if (target === undefined) {
      this.host.runtime.deadLetter(this.host.refOf(this.host.system.node, path), message, sender, 'stopped')
      return
    }
    // Freshly decoded: no one else holds it, so it needs no freezing or copying.
    target.enqueueOwned(message, sender)
  }

  /**
   * The live local actor at `path`. Paths the peer sends to are remembered, since walking the
   * tree for every message cost a sixth of the time of a remote tell.
   */
  private target(path: string): LocalActor | undefined {
    const known = this.targets.get(path)
    if (known !== undefined && !known.stopped) return known
    const found = localActor(this.host.system.actorAt(path))
    if (found !== undefined) {
      if (this.targets.size >= MAX_REMEMBERED_TARGETS) this.targets.clear()
      this.targets.set(path, found)
      return found
    }
    this.targets.delete(path)
    return undefined
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
    const spawn = this.spawns.get(id)
    if (spawn === undefined) return
    this.spawns.delete(id)
    this.failedSpawns.set(spawn.ref.path, error)
    this.host.logger.error(
      { err: error },
      `spawn of '${spawn.behavior}' on ${this.node} failed: ${describe(error)}`,
    )
  }

  private onWatch(watcher: string, targetPath: string): void {
    const target = this.host.system.actorAt(targetPath)
    const key = `${watcher}|${targetPath}`
    if (target === undefined) {
      this.send({ kind: 'terminated', watcher, target: targetPath, reason: 'noproc' })
      return
    }
    const stop = this.host.system.watch(target)
    let active = true
    this.watchedHere.set(key, () => {
      active = false
    })
    void stop.then((t) => {
      if (!active) return
      this.watchedHere.delete(key)
      this.send({ kind: 'terminated', watcher, target: targetPath, reason: t.reason, error: t.error })
    })
  }

  private onLink(remotePath: string, localPath: string): void {
    const found = this.host.system.actorAt(localPath)
    if (found === undefined) {
      this.send({ kind: 'exit', from: localPath, to: remotePath, reason: 'noproc' })
      return
    }
    const remote = this.host.refOf(this.node, remotePath)
    const cell = localActor(found)
    if (cell === undefined) return
    this.links.set(`${localPath}|${remotePath}`, { local: cell, remote })
    cell.acceptLink(remote)
  }

  /** Values gathered for one turn of the event loop and sent together, in frames within the connection's limit. */
  private itemBatcher(send: (values: unknown[]) => void): ItemBatcher {
    return new ItemBatcher(send, () => itemBudget(this.channel.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES))
  }

  private onSpawn(id: number, behaviorName: string, name: string | undefined, props: unknown): void {
    const behavior = this.host.runtime.exposed.get(behaviorName)
    if (behavior === undefined) {
      this.host.logger.warn(
        `refused to spawn '${behaviorName}' for ${this.node}: this node does not expose it`,
      )
      this.send({
        kind: 'error',
        id,
        error: new RemoteSpawnError(`node ${this.host.system.node} does not expose '${behaviorName}'`),
      })
      return
    }
    try {
      const ref = this.host.system.spawn(
        behavior as Behavior<unknown, unknown>,
        name === undefined ? { props } : { name, props },
      )
      this.send({ kind: 'spawned', id, path: ref.path })
    } catch (error) {
      this.send({ kind: 'error', id, error })
    }
  }
}

function stopReason(reason: WireStopReason): StopReason {
  return reason === 'noproc' ? 'stopped' : reason
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
