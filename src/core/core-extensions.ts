import type { ActorPortal, PortalMaker } from './actor-portal.ts'
import type { Behavior, SpawnOptions } from './behavior.ts'
import { ExtensionKey } from './extensions.ts'
import type { FunctionRef } from './function-ref.ts'
import type { ObservedPage, ObserveQuery } from './observe.ts'
import type { Ref } from './ref.ts'
import type { Runtime } from './runtime.ts'

// The extensions the core itself consumes: the layers above provide them (the core never imports
// those layers), each under its key.

/** What the core asks of the node-to-node layer (which plugs in here; the core never imports it). */
export interface RemoteHooks {
  /** Starts an exposed definition on another node; the ref is usable at once. */
  spawn(node: string, behavior: Behavior<unknown, unknown>, options: SpawnOptions<unknown>): Ref
  /** Stops (or, with `'killed'`, kills) an actor of another node; resolves once it has stopped (or its node is down). */
  stop(ref: Ref, reason?: 'stopped' | 'killed'): Promise<void>
  /** The state snapshot of an actor of another node (`system.snapshot`). */
  snapshot(ref: Ref): Promise<unknown>
  /** One page of the children of an actor of another node, with their counters (`system.observe`). */
  observe(node: string, query: ObserveQuery): Promise<ObservedPage>
  /** Looks a name up in the cluster registry, if the node joined one. */
  findActor(name: string): Promise<Ref | undefined>
  /** Waits for a name in the cluster registry; rejects with `ActorNotFoundError` at the timeout. */
  waitForActor(name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Ref>
  /** The ref an address of another node names. */
  resolve(address: string): Ref
  /** Closes every connection. */
  close(): Promise<void>
}

/** What a nursery asks of the layer that starts child nodes (threads and processes). */
export interface ChildRunRequest {
  /** The actor's name, also the first part of its child node's name. */
  name: string
  fn: FunctionRef
  args: readonly unknown[]
  in: 'thread' | 'process'
}

/** A daemon actor a nursery starts on a child node. */
export interface ChildStartRequest {
  name: string
  /** Module URLs the child loads (it exposes their functions and actor definitions). */
  modules: readonly string[]
  in: 'thread' | 'process'
  data?: unknown
}

/**
 * A daemon actor on a child node (tractor's `start_actor`): a ref that can also `run` and
 * `stream` the functions its node exposes, and `cancelActor()` to stop it with its node.
 */
export interface ChildPortal extends ActorPortal {
  /** Stops the actor and its child node (gracefully, then by force); resolves once it has exited. */
  cancelActor(): Promise<void>
}

/** What the core asks of the layer that starts child nodes. */
export interface ChildRunner {
  /** Runs a function in an actor on a new child node (a nursery's `runInActor`). */
  run(request: ChildRunRequest): ChildRun
  /** Starts a daemon actor on a new child node (a nursery's `startActor`). */
  start(request: ChildStartRequest): Promise<ChildPortal>
}

/** An actor that `spawn(definition, { in })` runs on a new child node. */
export interface ChildActorRequest {
  behavior: Behavior<unknown, unknown>
  in: 'thread' | 'process'
  modules: readonly (string | URL)[]
  props: unknown
}

/** What the core asks of the layer that starts child nodes for supervised actors. */
export interface ChildActorHooks {
  /**
   * The behavior of the local stand-in that the core spawns and supervises in the actor's place:
   * it runs the actor on a child node, forwards messages to it, and fails when it fails.
   */
  standIn(request: ChildActorRequest): Behavior<unknown, unknown>
}

/** A function running in an actor of a child node. */
export interface ChildRun {
  /** The actor, usable at once (its node is being started). */
  readonly ref: Ref
  /** Settles with the function's outcome; its node has stopped by then. */
  readonly result: Promise<unknown>
  /** Stops the child node (gracefully, then by force); resolves once it has exited. */
  cancel(): Promise<void>
}

/** A member of the cluster a node is part of, as `system.members()` lists it. */
export interface ClusterMember {
  /** The member's node name. */
  readonly node: string
  /** The run of that node; `undefined` for a node that is not networked. */
  readonly incarnation: string | undefined
  /**
   * When it joined the cluster, or when this node connected to it; for this node itself, when it
   * joined, or was networked (a plain system: when it started).
   */
  readonly since: Date
}

/**
 * What the core asks of the cluster membership layer: the node-to-node layer plugs in its connected
 * nodes here, and a NATS cluster, once joined, replaces them with its members.
 */
export interface ClusterHooks {
  /** The live members, this node among them, sorted by node name. */
  members(): ClusterMember[]
}

/** What every actor of the system shares; set by the system itself. */
export const RUNTIME = new ExtensionKey<Runtime>('runtime')

/** The node-to-node layer (remote refs, remote spawn, the cluster registry). */
export const REMOTE = new ExtensionKey<RemoteHooks>(
  'node-to-node layer',
  "start it with start({ node: 'name@host:port' })",
)

/** Runs functions and daemons of nurseries on child nodes (`runInActor(…, { in })`, `startActor`). */
export const CHILD_RUNNER = new ExtensionKey<ChildRunner>(
  'child-node layer',
  "start it with start() from 'troupe'",
)

/** Runs supervised actors on child nodes (`spawn(def, { in })`). */
export const CHILD_ACTORS = new ExtensionKey<ChildActorHooks>(
  'child-node layer',
  "start it with start() from 'troupe'",
)

/** Makes the portals of `findActor`, `waitForActor` and a nursery's `runInActor`. */
export const PORTALS = new ExtensionKey<PortalMaker>('portal layer', "start it with start() from 'troupe'")

/** The membership of this node's cluster: its connected nodes, or the NATS cluster it joined (`joinNatsCluster`). */
export const CLUSTER = new ExtensionKey<ClusterHooks>('cluster membership', 'join a NATS cluster')

/** What a service handler is told besides the payload. */
export interface ServiceRequestInfo {
  /** The service's name. */
  readonly service: string
  /** The subject the request came on (`<prefix>.svc.<name>`). */
  readonly subject: string
  /** Aborts when the service stops (`handle.stop()` or the system's shutdown). */
  readonly signal: AbortSignal
}

/**
 * Handles one request of a service: takes the decoded payload and returns (or resolves with) the
 * reply. A throw becomes an error reply (`ServiceError` at the requester), with the code of a
 * thrown `ServiceError` (else 500).
 */
export type ServiceHandler<Req = unknown, Res = unknown> = (
  payload: Req,
  info: ServiceRequestInfo,
) => Res | Promise<Res>

/** Options of `system.service`. */
export interface ServiceOptions {
  /**
   * The service's version, as the NATS services protocol reports it (semver).
   * @default '1.0.0'
   */
  version?: string
  /** What the service does, for `$SRV.INFO` and `nats micro info`. */
  description?: string
  /** More metadata for `$SRV.INFO`; Troupe adds `troupe.prefix` and `troupe.node`. */
  metadata?: Record<string, string>
  /**
   * How many handlers of this service run at once on this node; more requests wait in a queue.
   * @default 16
   */
  concurrency?: number
  /**
   * How many requests may wait for a free handler on this node; beyond it a request gets a "busy"
   * error reply (code 503, `ServiceBusyError` at the requester).
   * @default 1000
   */
  maxQueued?: number
}

/** Options of `system.request`. */
export interface ServiceRequestOptions {
  /**
   * Milliseconds to wait for the reply before rejecting with `ServiceTimeoutError`.
   * @default the `requestTimeoutMs` of the services layer (5000)
   */
  timeout?: number
  /** Cancels the request (it rejects with the signal's reason); the ambient cancel scope does too. */
  signal?: AbortSignal
}

/** Counters of one service on this node. */
export interface ServiceCounters {
  /** Requests answered (with a reply or an error reply). */
  readonly requests: number
  /** Error replies: handler failures, busy refusals, payloads that could not be decoded. */
  readonly errors: number
  /** The last error's description, if any. */
  readonly lastError?: string
  /** Handlers running now. */
  readonly inFlight: number
  /** Requests waiting for a free handler now. */
  readonly queued: number
  /** Time spent in handlers, in total, in milliseconds. */
  readonly processingMs: number
}

/** A service this node serves, as `system.service` returns it. */
export interface ServiceHandle {
  /** The service's name. */
  readonly name: string
  /** The subject its endpoint listens on (`<prefix>.svc.<name>`), in the queue group `q`. */
  readonly subject: string
  /** The id of this node's instance, as `$SRV.PING` and `nats micro ls` report it. */
  readonly id: string
  /** This instance's counters (also reported by `$SRV.STATS`). */
  stats(): ServiceCounters
  /**
   * Stops serving: no new requests reach this node, requests still queued get an error reply, and
   * handlers running are told through their signal and awaited (for the services layer's
   * `stopGraceMs`; one that outlives it may still reply). Idempotent.
   */
  stop(): Promise<void>
}

/** What the core asks of the services layer (NATS micro services). */
export interface ServicesHooks {
  /** Registers the service and resolves once the NATS server routes its requests here. */
  service<Req, Res>(
    name: string,
    handler: ServiceHandler<Req, Res>,
    options?: ServiceOptions,
  ): Promise<ServiceHandle>
  /** Sends a request to the service and resolves with the decoded reply. */
  request<Res>(name: string, payload: unknown, options?: ServiceRequestOptions): Promise<Res>
}

/** Services over NATS (`system.service`, `system.request`). */
export const SERVICES = new ExtensionKey<ServicesHooks>(
  'services layer',
  'start the node with nats: start({ nats: { servers } })',
)
