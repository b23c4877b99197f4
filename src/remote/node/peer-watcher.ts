import type { StopReason } from '../../core/inspection.ts'
import { localActor } from '../../core/internal.ts'
import type { LocalActorHandle } from '../../core/ref.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope, WireStopReason } from '../../wire/envelope.ts'
import type { RemoteRef } from './remote-ref.ts'
import type { Trust } from './trust.ts'

/** What the watches and links along one peer need of it. */
export interface WatcherHost {
  readonly node: string
  readonly system: ActorSystem
  readonly trust: Trust
  readonly down: boolean
  newId(): number
  send(envelope: Envelope): void
  refOf(node: string, path: string): RemoteRef
  /** Why the spawn of the actor at `path` on the peer failed, if it did. */
  spawnFailure(path: string): unknown
}

/**
 * Watches and links between the actors of this node and those of one peer, both ways: this
 * node's watchers of the peer's actors (by the id this node gave each), the peer's watches of
 * this node's actors, and the links across. A lost peer ends them all with reason `node-down`.
 */
export class PeerWatcher {
  /** Local watchers of the peer's actors, by the id this node gave them. */
  private readonly watchers = new Map<number, { watcher: LocalActorHandle; target: RemoteRef }>()
  private readonly watcherIds = new Map<LocalActorHandle, Map<string, number>>()
  /** This node's actors watched from the peer, with the function that stops watching. */
  private readonly watchedHere = new Map<string, () => void>()
  /** Links between an actor of this node and one of the peer: key `local|remote`. */
  private readonly links = new Map<string, { local: LocalActorHandle; remote: RemoteRef }>()

  constructor(private readonly host: WatcherHost) {}

  // ---- what local actors ask of the peer's actors ----

  watch(target: RemoteRef, watcher: LocalActorHandle): void {
    if (this.host.down) {
      watcher.terminated(target, 'node-down')
      return
    }
    const failed = this.host.spawnFailure(target.path)
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
    const id = this.host.newId()
    ids.set(target.path, id)
    this.watchers.set(id, { watcher, target })
    this.host.send({ kind: 'watch', watcher: `${id}`, target: target.path })
  }

  unwatch(target: RemoteRef, watcher: LocalActorHandle): void {
    const ids = this.watcherIds.get(watcher)
    const id = ids?.get(target.path)
    if (id === undefined) return
    ids!.delete(target.path)
    if (ids!.size === 0) this.watcherIds.delete(watcher)
    this.watchers.delete(id)
    this.host.send({ kind: 'unwatch', watcher: `${id}`, target: target.path })
  }

  link(target: RemoteRef, actor: LocalActorHandle): void {
    const local = actor.ref
    if (local === undefined) throw new TypeError('only actors can link')
    if (this.host.down) {
      actor.exited(target, 'node-down')
      return
    }
    this.links.set(`${local.path}|${target.path}`, { local: actor, remote: target })
    this.host.send({ kind: 'link', a: local.path, b: target.path })
  }

  unlink(
    target: RemoteRef,
    actor: LocalActorHandle,
    exit: { reason: StopReason; error: unknown } | undefined,
  ): void {
    const local = actor.ref
    if (local === undefined) return
    this.links.delete(`${local.path}|${target.path}`)
    if (exit === undefined) this.host.send({ kind: 'unlink', a: local.path, b: target.path })
    else
      this.host.send({
        kind: 'exit',
        from: local.path,
        to: target.path,
        reason: exit.reason,
        error: exit.error,
      })
  }

  // ---- what the peer asks of this node's actors, and its answers ----

  watched(watcher: string, targetPath: string): void {
    const target = localActor(this.host.system.actorAt(targetPath))
    const key = `${watcher}|${targetPath}`
    if (target === undefined) {
      this.host.send({ kind: 'terminated', watcher, target: targetPath, reason: 'noproc' })
      return
    }
    // Unregistered when the peer unwatches or is lost: the actor may outlive many connections of
    // the same peer, each watching it again, and a listener left behind would keep its peer.
    this.watchedHere.get(key)?.()
    const stop = target.onTerminated((t) => {
      this.watchedHere.delete(key)
      this.host.send({ kind: 'terminated', watcher, target: targetPath, reason: t.reason, error: t.error })
    })
    if (!target.stopped) this.watchedHere.set(key, stop)
  }

  unwatched(watcher: string, targetPath: string): void {
    const key = `${watcher}|${targetPath}`
    this.watchedHere.get(key)?.()
    this.watchedHere.delete(key)
  }

  terminated(envelope: Extract<Envelope, { kind: 'terminated' }>): void {
    const entry = this.watchers.get(Number(envelope.watcher))
    if (entry === undefined) return
    this.watchers.delete(Number(envelope.watcher))
    this.watcherIds.get(entry.watcher)?.delete(entry.target.path)
    const failed = this.host.spawnFailure(entry.target.path)
    if (failed !== undefined) entry.watcher.terminated(entry.target, 'failed', failed)
    else entry.watcher.terminated(entry.target, stopReason(envelope.reason), envelope.error)
  }

  linked(remotePath: string, localPath: string): void {
    if (this.host.trust.refuses(this.host.node, 'link', localPath)) {
      // Undone on the asking side too, so that its actor does not count on a link that is not there.
      this.host.send({ kind: 'unlink', a: localPath, b: remotePath })
      return
    }
    const found = this.host.system.actorAt(localPath)
    if (found === undefined) {
      this.host.send({ kind: 'exit', from: localPath, to: remotePath, reason: 'noproc' })
      return
    }
    const remote = this.host.refOf(this.host.node, remotePath)
    const cell = localActor(found)
    if (cell === undefined) return
    this.links.set(`${localPath}|${remotePath}`, { local: cell, remote })
    cell.acceptLink(remote)
  }

  unlinked(remotePath: string, localPath: string): void {
    const entry = this.links.get(`${localPath}|${remotePath}`)
    this.links.delete(`${localPath}|${remotePath}`)
    const cell = this.host.system.actorAt(localPath)
    if (entry !== undefined) localActor(cell)?.forgetLink(entry.remote)
  }

  exited(envelope: Extract<Envelope, { kind: 'exit' }>): void {
    const key = `${envelope.to}|${envelope.from}`
    const entry = this.links.get(key)
    if (entry !== undefined && this.host.trust.refuses(this.host.node, 'exit', envelope.to)) {
      this.links.delete(key)
      return
    }
    this.links.delete(key)
    const from = entry?.remote ?? this.host.refOf(this.host.node, envelope.from)
    entry?.local.exited(from, envelope.reason, envelope.error)
  }

  /** The peer is lost: every watcher hears `node-down`, every linked actor exits with it. */
  lost(error: Error): void {
    for (const { watcher, target } of this.watchers.values()) watcher.terminated(target, 'node-down')
    this.watchers.clear()
    this.watcherIds.clear()
    for (const stop of this.watchedHere.values()) stop()
    this.watchedHere.clear()
    for (const { local, remote } of this.links.values()) local.exited(remote, 'node-down', error)
    this.links.clear()
  }
}

function stopReason(reason: WireStopReason): StopReason {
  return reason === 'noproc' ? 'stopped' : reason
}
