import type { ActorPortal, PortalMaker } from './actor-portal.ts'
import type { Behavior, SpawnOptions } from './behavior.ts'
import { ExtensionKey } from './extensions.ts'
import type { FunctionRef } from './function-ref.ts'
import type { Ref } from './ref.ts'
import type { Runtime } from './runtime.ts'

// The extensions the core itself consumes: the layers above provide them (the core never imports
// those layers), each under its key.

/** What the core asks of the node-to-node layer (which plugs in here; the core never imports it). */
export interface RemoteHooks {
  /** Starts an exposed definition on another node; the ref is usable at once. */
  spawn(node: string, behavior: Behavior<unknown, unknown>, options: SpawnOptions<unknown>): Ref
  /** Stops an actor of another node; resolves once it has stopped (or its node is down). */
  stop(ref: Ref): Promise<void>
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
  /** The run of that node; `undefined` for a node in no cluster. */
  readonly incarnation: string | undefined
  /** When it joined the cluster (a node in no cluster: when its system started). */
  readonly since: Date
}

/** What the core asks of the cluster membership layer (a NATS cluster plugs in here). */
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

/** The membership of the cluster this node joined (`joinNatsCluster`), if any. */
export const CLUSTER = new ExtensionKey<ClusterHooks>('cluster membership', 'join a NATS cluster')
