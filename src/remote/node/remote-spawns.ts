import type { Logger } from 'pino'
import type { Behavior } from '../../core/behavior.ts'
import { describeError } from '../../core/describe-error.ts'
import type { LocalActorHandle } from '../../core/ref.ts'
import type { Runtime } from '../../core/runtime.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope } from '../../wire/envelope.ts'
import { NodeDownError, RemoteSpawnError } from './errors.ts'
import type { RemoteRef } from './remote-ref.ts'
import type { Trust } from './trust.ts'

/** What remote spawn and stop along one peer need of it. */
export interface SpawnHost {
  readonly node: string
  readonly system: ActorSystem
  readonly runtime: Runtime
  readonly logger: Logger
  readonly trust: Trust
  newId(): number
  send(envelope: Envelope): void
  /** Why the peer is down, if it is. */
  downReason(): string | undefined
}

/**
 * Remote spawn and stop along one peer: the spawns this node asked of the peer (and why those that
 * failed did, for whoever uses their refs), and serving the peer's spawns and stops here.
 */
export class RemoteSpawns {
  /** Spawns waiting for their answer. */
  private readonly spawns = new Map<number, { behavior: string; ref: RemoteRef }>()
  private readonly failedSpawns = new Map<string, unknown>()
  /** Stops waiting for their actor to stop, with what rejects each when the peer refuses it. */
  private readonly stops = new Map<number, (error: unknown) => void>()

  constructor(private readonly host: SpawnHost) {}

  /** Why the spawn of the actor at `path` on the peer failed, if it did. */
  failureOf(path: string): unknown {
    return this.failedSpawns.size === 0 ? undefined : this.failedSpawns.get(path)
  }

  spawn(behavior: string, name: string, props: unknown, ref: RemoteRef): void {
    this.failedSpawns.delete(ref.path)
    const down = this.host.downReason()
    if (down !== undefined) {
      this.failedSpawns.set(ref.path, new NodeDownError(this.host.node, down))
      return
    }
    const id = this.host.newId()
    this.spawns.set(id, { behavior, ref })
    this.host.send(
      props === undefined
        ? { kind: 'spawn', id, behavior, name }
        : { kind: 'spawn', id, behavior, name, props },
    )
  }

  /**
   * Asks the peer to stop `target`: resolves once it has stopped (or the peer is down), rejects
   * with the peer's refusal (an untrusted node's `UntrustedRequestError`).
   */
  stop(target: RemoteRef, reason: 'stopped' | 'killed' = 'stopped'): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.host.newId()
      const watcher: LocalActorHandle = {
        ref: undefined,
        terminated: () => {
          this.stops.delete(id)
          resolve()
        },
        exited: () => {},
      }
      this.stops.set(id, (error) => {
        target.removeWatcher(watcher)
        reject(error)
      })
      // Watched first, so that the peer sends the stop's `terminated` along the same connection.
      target.addWatcher(watcher)
      if (this.stops.has(id))
        this.host.send(
          reason === 'killed'
            ? { kind: 'stop', target: target.path, id, reason }
            : { kind: 'stop', target: target.path, id },
        )
    })
  }

  spawned(id: number): void {
    this.spawns.delete(id)
  }

  /** Takes the peer's `error` if it answers a spawn or a stop of this node's. */
  failed(id: number, error: unknown): boolean {
    const refused = this.stops.get(id)
    if (refused !== undefined) {
      this.stops.delete(id)
      refused(error)
      return true
    }
    const spawn = this.spawns.get(id)
    if (spawn === undefined) return false
    this.spawns.delete(id)
    this.failedSpawns.set(spawn.ref.path, error)
    this.host.logger.error(
      { err: error },
      `spawn of '${spawn.behavior}' on ${this.host.node} failed: ${describeError(error)}`,
    )
    return true
  }

  // ---- serving the peer ----

  /** Stops (or kills) the actor at `path` for the peer, or answers `id` (when the peer gave one) with the refusal. */
  serveStop(path: string, id: number | undefined, reason: string | undefined): void {
    const refusal = this.host.trust.refusal(this.host.node, 'stop', path)
    if (refusal !== undefined) {
      if (id !== undefined) this.host.send({ kind: 'error', id, error: refusal })
      return
    }
    const target = this.host.system.actorAt(path)
    if (target === undefined) return
    if (reason === 'killed') void this.host.system.kill(target)
    else void this.host.system.stop(target)
  }

  serveSpawn(id: number, behaviorName: string, name: string | undefined, props: unknown): void {
    const refusal = this.host.trust.refusal(this.host.node, 'spawn', behaviorName)
    if (refusal !== undefined) {
      this.host.send({ kind: 'error', id, error: refusal })
      return
    }
    const behavior = this.host.runtime.exposed.get(behaviorName)
    if (behavior === undefined) {
      this.host.logger.warn(
        `refused to spawn '${behaviorName}' for ${this.host.node}: this node does not expose it`,
      )
      this.host.send({
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
      this.host.send({ kind: 'spawned', id, path: ref.path })
    } catch (error) {
      this.host.send({ kind: 'error', id, error })
    }
  }
}
