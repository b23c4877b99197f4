import type { Logger } from 'pino'
import { CancelledError } from '../concurrency/errors.ts'
import { type ActorNursery, openActorNursery } from './actor-nursery.ts'
import type { ActorPortal } from './actor-portal.ts'
import type { AnyBehavior, Behavior, SpawnOptions } from './behavior.ts'
import { Cell, STOPPED } from './cell/cell.ts'
import type {
  ServiceHandle,
  ServiceHandler,
  ServiceOptions,
  ServiceRequestOptions,
} from './core-extensions.ts'
import {
  CLUSTER,
  type ClusterMember,
  PORTALS,
  REMOTE,
  type RemoteHooks,
  RUNTIME,
  SERVICES,
} from './core-extensions.ts'
import { systemLogger } from './default-logger.ts'
import { InvalidOptionError } from './errors.ts'
import type { Extensions } from './extensions.ts'
import { HandlerCell } from './handler-cell.ts'
import type { InspectOptions } from './inspection.ts'
import { defaultIsolation, isolator } from './isolation.ts'
import type { LogFormat } from './log-format.ts'
import { checkName } from './names.ts'
import { type ObservedPage, type ObserveOptions, observeNode } from './observe.ts'
import { isRef, type Ref } from './ref.ts'
import { type InspectionListener, Runtime } from './runtime.ts'
import type { Terminated } from './signals.ts'
import { snapshotOf } from './snapshot.ts'
import type { SystemOptions } from './system-options.ts'
import {
  type ActorCounters,
  actorAtPath,
  actorOf,
  countersOf,
  localCell,
  terminationOf,
} from './system-refs.ts'
import { cellFactory, checkSystemOptions, guardianTemplate } from './system-setup.ts'
import { waitForName } from './wait-for-name.ts'

/**
 * A running actor system: the actors of one node, their supervision tree, names and inspection.
 * Made by {@link start}; `await using system = await start()` shuts it down at the end of the block.
 */
export class ActorSystem {
  /** This node's name. */
  readonly node: string
  /** The system's pino logger. */
  readonly logger: Logger
  /** The format of the default logger's lines; `undefined` when the system was given a logger. */
  readonly logFormat: LogFormat | undefined
  /**
   * What the layers above the core plug into this system through, by typed key: the node-to-node
   * layer, the registry link, the child nodes. A seam between Troupe's own layers, not user API.
   * @internal
   */
  readonly extensions: Extensions
  private readonly runtime: Runtime
  private readonly guardian: Cell
  private shuttingDown: Promise<void> | undefined
  private readonly startedAt = new Date()

  /** @internal made by `start` from troupe. */
  constructor(options: SystemOptions = {}) {
    const { node, askTimeoutMs } = checkSystemOptions(options)
    this.node = node
    const { logger, format } = systemLogger(options, node)
    this.logger = logger
    this.logFormat = format
    const isolate = isolator(options.messages ?? defaultIsolation(), isRef)
    this.runtime = new Runtime(node, this.logger, isolate, options.scheduler, askTimeoutMs)
    this.runtime.system = this
    this.extensions = this.runtime.extensions
    this.extensions.set(RUNTIME, this.runtime)
    this.runtime.createCell = cellFactory(this.runtime)
    const guardian = guardianTemplate(options)
    this.guardian = new HandlerCell(this.runtime, null, guardian, undefined, 'user')
    this.guardian.begin()
  }

  /**
   * Starts an actor supervised by the system (restarted on failure, by `SystemOptions.supervision`).
   * Throws `InvalidOptionError` for bad options and `NameTakenError` for a name in use.
   *
   * @example
   * ```ts
   * const counter = system.spawn(Counter, { name: 'counter' })
   * const echo = system.spawn(async (self) => { for (;;) self.reply(await self.receive()) })
   * // in a child process, restarted (in a new process) when it fails or its process dies
   * const worker = system.spawn(Worker, { name: 'worker', in: 'process', modules: [import.meta.url] })
   * ```
   */
  spawn<M, P = undefined>(behavior: Behavior<M, P>, options?: SpawnOptions<P>): Ref<M> {
    const on = options?.on
    // With `in` too, the guardian's spawn refuses the pair.
    if (on !== undefined && on !== this.node && options?.in === undefined) {
      const remote = this.extensions.get(REMOTE)
      if (remote === undefined)
        throw new InvalidOptionError(
          'on',
          `this node (${this.node}) is not networked: start it with a listen address`,
        )
      return remote.spawn(
        on,
        behavior as Behavior<unknown, unknown>,
        options as SpawnOptions<unknown>,
      ) as Ref<M>
    }
    return this.guardian.spawn(behavior, options)
  }

  /**
   * Lets other nodes spawn these definitions by name (`spawn(def, { on })`); a node refuses to
   * spawn anything it does not expose. Both nodes expose the same names, usually by loading the
   * same module.
   */
  expose(definitions: Record<string, AnyBehavior>): void {
    for (const [name, behavior] of Object.entries(definitions)) {
      checkName(name)
      this.runtime.exposed.set(name, behavior)
      this.runtime.exposedNames.set(behavior, name)
    }
  }

  /**
   * Stops an actor (children first) and resolves once it has stopped (or its node is down). A node
   * started with `untrusted` refuses a stop from any node but its parent: that rejects with
   * `UntrustedRequestError`.
   */
  stop(given: Ref): Promise<void> {
    const ref = actorOf(given)
    if (!(ref instanceof Cell)) return this.remoteHooks(ref).stop(ref)
    ref.stopWith('stopped')
    return ref.whenStopped()
  }

  /**
   * Kills an actor, on this node or another (Erlang's `exit(Pid, kill)`): it stops at once, the
   * messages in its mailbox become dead letters, and its `stopped` hook and its watchers see
   * reason `killed`. Resolves once it has stopped (or its node is down).
   */
  kill(given: Ref): Promise<void> {
    const ref = actorOf(given)
    if (!(ref instanceof Cell)) return this.remoteHooks(ref).stop(ref, 'killed')
    ref.stopWith('killed')
    return ref.whenStopped()
  }

  /**
   * The state snapshot of an actor, on this node or another: what its definition's
   * `snapshot(state)` returns, run in the actor's turn. Rejects with `NoSnapshotError` when its
   * definition has none, `ActorStoppedError` when it is stopped.
   *
   * @example
   * ```ts
   * const Counter = defineActor({ init: () => 0, receive: (n) => n + 1, snapshot: (n) => ({ n }) })
   * console.log(await system.snapshot(system.spawn(Counter))) // { n: 0 }
   * ```
   */
  snapshot(given: Ref): Promise<unknown> {
    const ref = actorOf(given)
    return ref instanceof Cell ? snapshotOf(ref) : this.remoteHooks(ref).snapshot(ref)
  }

  /** Resolves with the actor's `Terminated` once it stops (at once if it has). */
  watch(given: Ref): Promise<Terminated> {
    return terminationOf(actorOf(given))
  }

  /**
   * Restarts a live actor of this node as its supervisor restarts a failed child: fresh state,
   * mailbox kept, children stopped and started again, the supervisor's strategy, intensity and
   * backoff applied (a restart counts towards the intensity). The `restarted` event carries a
   * `CancelledError` that says it was asked for. False when the actor was not running (stopping,
   * or already failed and waiting for its supervisor).
   */
  restart(ref: Ref): boolean {
    return localCell(ref).restartByRequest(new CancelledError('restart requested'))
  }

  /**
   * The children of an actor of this node, in spawn order; without a ref, the actors spawned on
   * the system (the children of `/user`). With {@link actorCounters}, what a dashboard walks.
   */
  childrenOf(ref?: Ref): Ref[] {
    return (ref === undefined ? this.guardian : localCell(ref)).children()
  }

  /**
   * Cheap counters of a live actor of this node, read as they stand (no message is sent to it);
   * `undefined` once it stopped.
   */
  actorCounters(ref: Ref): ActorCounters | undefined {
    return countersOf(localCell(ref))
  }

  /**
   * One page of the children of an actor of `node` (`/user` by default) with their counters (see
   * {@link actorCounters}), as Erlang's observer shows a node's processes: read here for this node,
   * asked of `node` otherwise (an `untrusted` node refuses: `UntrustedRequestError`). Rejects with
   * `NodeDownError` for a node out of reach; a `limit` over `MAX_OBSERVE_LIMIT` (500) is capped.
   *
   * @example
   * ```ts
   * const page = await system.observe('worker@127.0.0.1:9701', { parent: '/user/orders', limit: 50 })
   * for (const actor of page.actors) console.log(actor.path, actor.queued, actor.restarts)
   * ```
   */
  observe(node: string, options?: ObserveOptions): Promise<ObservedPage> {
    return observeNode(this, this.extensions.get(REMOTE), node, options)
  }

  /** Whether the actor of this node is still alive. */
  isAlive(ref: Ref): boolean {
    return localCell(ref).status !== STOPPED
  }

  /**
   * The ref an address names (`troupe://<node>/<path>`): an actor of this node, or of another
   * node when this one is networked. Telling a ref whose actor does not exist makes a dead letter.
   *
   * @example
   * ```ts
   * const other = system.refOf<Msg>('troupe://worker@127.0.0.1:9701/user/other')
   * other.tell({ type: 'hello' })
   * ```
   */
  refOf<M = unknown>(address: string): Ref<M> {
    const prefix = `troupe://${this.node}/`
    if (address.startsWith(prefix)) {
      const local = this.actorAt(address.slice(prefix.length - 1))
      if (local !== undefined) return local as Ref<M>
    }
    const remote = this.extensions.get(REMOTE)
    if (remote === undefined) {
      if (address.startsWith(prefix)) throw new InvalidOptionError('address', `no actor at ${address}`)
      throw new InvalidOptionError(
        'address',
        `${address} is on another node, and this node (${this.node}) is not networked`,
      )
    }
    return remote.resolve(address) as Ref<M>
  }

  /** The live actor of this node at `path` (such as `/user/orders/o-17`), if any. */
  actorAt(path: string): Ref | undefined {
    return actorAtPath(this.guardian, this.runtime.names, path)
  }

  private remoteHooks(ref: Ref): RemoteHooks {
    const remote = this.extensions.get(REMOTE)
    if (remote === undefined) throw new TypeError(`${String(ref)} is not an actor of this node`)
    return remote
  }

  /** The live actor registered under `name` on this node, or `undefined` (no network involved). */
  localActor<M = unknown>(name: string): Ref<M> | undefined {
    return this.runtime.names.find(name) as Ref<M> | undefined
  }

  /**
   * A portal to the actor registered under `name` on this node or, when the node joined a cluster
   * registry, on any node of the cluster; `undefined` when no actor has the name. The portal is a
   * ref that can also `run` and `stream` the functions the actor's node exposes.
   *
   * @example
   * ```ts
   * const gretchen = await system.findActor('gretchen')
   * if (gretchen !== undefined) console.log(await gretchen.run(lines.hi))
   * ```
   */
  async findActor<M = unknown>(name: string): Promise<ActorPortal<M> | undefined> {
    const local = this.runtime.names.find(name)
    const remote = this.extensions.get(REMOTE)
    if (local !== undefined || remote === undefined)
      return local === undefined ? undefined : this.portalFor(local as Ref<M>)
    const found = await remote.findActor(name)
    return found === undefined ? undefined : this.portalFor(found as Ref<M>)
  }

  /**
   * Waits for an actor named `name` on this node or, with a cluster registry, anywhere in the
   * cluster, and resolves with its portal (see {@link findActor}); rejects with
   * `ActorNotFoundError` naming it at the timeout.
   */
  async waitForActor<M = unknown>(
    name: string,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<ActorPortal<M>> {
    const found = await waitForName(this.runtime.names, this.extensions.get(REMOTE), name, options)
    return this.portalFor(found as Ref<M>)
  }

  /**
   * This node and the others of its cluster, sorted by node name: the members of the NATS cluster
   * it joined; over TCP and for child nodes, as Erlang's `nodes()`, the nodes it has a live,
   * handshaken connection to (inspection events `member-up` and `member-down` say when one is made
   * or lost). A node that is not networked lists itself alone (with no incarnation).
   */
  members(): ClusterMember[] {
    return (
      this.extensions.get(CLUSTER)?.members() ?? [
        { node: this.node, incarnation: undefined, since: this.startedAt },
      ]
    )
  }

  /** The names registered on this node with their refs. */
  registered(): [string, Ref][] {
    return this.runtime.names.entries()
  }

  /**
   * Subscribes to every inspection event (spawned, stopped, failed, restarted, dead-letter, ...).
   * Returns the function that unsubscribes.
   */
  inspect(listener: InspectionListener, options?: InspectOptions): () => void {
    return this.runtime.subscribe(listener, options)
  }

  /** How many messages became dead letters so far. */
  get deadLetters(): number {
    return this.runtime.deadLetterCount
  }

  /**
   * Runs `body` with an actor nursery: every actor it starts is finished or stopped before this
   * returns; the first failure stops the others and is thrown (several as an `AggregateError`).
   *
   * @example
   * ```ts
   * const total = await system.nursery(async (n) => {
   *   const a = n.runInActor('a', sum, [1, 2])
   *   const b = n.runInActor('b', sum, [3, 4])
   *   return (await a.result()) + (await b.result())
   * })
   * ```
   */
  nursery<T>(body: (nursery: ActorNursery) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T> {
    return openActorNursery(this, body, options)
  }

  /**
   * Serves `name` as a NATS micro service on `<prefix>.svc.<name>`, balanced over every node that
   * serves it (JSON payloads, `Uint8Array` as raw bytes); needs a node started with `nats`.
   * @example
   * ```ts
   * const svc = await system.service('resize', (img: Img) => resize(img), { concurrency: 4 })
   * ```
   */
  async service<Req = unknown, Res = unknown>(
    name: string,
    handler: ServiceHandler<Req, Res>,
    options?: ServiceOptions,
  ): Promise<ServiceHandle> {
    return this.extensions.require(SERVICES).service(name, handler, options)
  }

  /**
   * Resolves with the reply of the service `name`; rejects at once with `ServiceUnavailableError`
   * when no node serves it, else with `ServiceTimeoutError`, `ServiceError` or a cancel reason.
   * @example
   * ```ts
   * const small = await system.request<Uint8Array>('resize', img, { timeout: 2_000 })
   * ```
   */
  async request<Res = unknown>(
    name: string,
    payload?: unknown,
    options?: ServiceRequestOptions,
  ): Promise<Res> {
    return this.extensions.require(SERVICES).request<Res>(name, payload, options)
  }

  /** Stops every actor, depth first, then closes the node's connections; resolves when all is done. */
  shutdown(): Promise<void> {
    if (this.shuttingDown === undefined) {
      this.guardian.stopWith('stopped')
      this.shuttingDown = this.guardian.whenStopped().then(() => this.extensions.get(REMOTE)?.close())
    }
    return this.shuttingDown
  }

  private portalFor<M>(ref: Ref<M>): ActorPortal<M> {
    return this.extensions.require(PORTALS)(ref)
  }

  /** Shuts the system down at the end of its scope: `await using system = await start()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }
}
