import { randomUUID } from 'node:crypto'
import type { ActorPortal } from '../../core/actor-portal.ts'
import { InvalidOptionError } from '../../core/errors.ts'
import type { Ref } from '../../core/ref.ts'
import { runningActor } from '../../core/running-actor.ts'
import type { ActorSystem } from '../../core/system.ts'
import { callActor } from './exposed-functions.ts'

/** The actor a function runs as (tractor's `current_actor()`): see {@link currentActor}. */
export interface CurrentActor {
  /** The actor's name (the last segment of its path). */
  readonly name: string
  /** The actor's address, `troupe://<node>/<path>`. */
  readonly address: string
  /** A unique id of this actor: two actors never share one, even with one name on one node. */
  readonly uid: string
  /** The node the actor (and the function) runs on. */
  readonly node: string
  /**
   * The node that started this one (a thread or process child's parent, which may run a nursery
   * waiting for it), or `undefined` on a node started on its own.
   */
  readonly parent: string | undefined
  /** The actor's ref. */
  readonly ref: Ref
  /** The actor system of its node: `findActor`, `waitForActor`, `spawn` from inside a function. */
  readonly system: ActorSystem
}

const uids = new WeakMap<Ref, string>()
let parentNode: string | undefined

/** @internal A child node records the node that started it. */
export function setParentNode(node: string): void {
  parentNode = node
}

/** @internal The uid of an actor of this node (see {@link CurrentActor.uid}). */
export function uidOf(ref: Ref): string {
  let uid = uids.get(ref)
  if (uid === undefined) {
    uid = randomUUID()
    uids.set(ref, uid)
  }
  return uid
}

/**
 * The actor the current code runs as: a function run through a portal (`portal.run`, `stream`,
 * `open`, a nursery's `runInActor`), an actor's handler (across the awaits of an `async` one), or
 * a process-style actor. Its name, address, uid, node, parent node, ref and system; `undefined`
 * outside of actors.
 *
 * @example
 * ```ts
 * async function hi() {
 *   return `Hi, my name is ${currentActor()?.name}`
 * }
 * ```
 */
export function currentActor(): CurrentActor | undefined {
  const actor = callActor() ?? runningActor()
  if (actor === undefined) return undefined
  return {
    name: actor.name,
    address: actor.address,
    uid: uidOf(actor),
    node: systemOf(actor).node,
    parent: parentNode,
    ref: actor,
    system: systemOf(actor),
  }
}

function systemOf(actor: Ref): ActorSystem {
  const system = (actor as { system?: unknown }).system
  if (typeof system !== 'object' || system === null)
    throw new TypeError(`${actor.address} is not an actor of this node`)
  return system as ActorSystem
}

function systemOfCall(what: string): ActorSystem {
  const actor = currentActor()
  if (actor === undefined)
    throw new InvalidOptionError(what, `called outside of a function run as an actor; use system.${what}`)
  return actor.system
}

/**
 * In a function run as an actor (see {@link currentActor}): a portal to the actor named `name`
 * anywhere in the cluster, or `undefined` (tractor's `find_actor`). The same as
 * `currentActor().system.findActor(name)`.
 */
export function findActor<M = unknown>(name: string): Promise<ActorPortal<M> | undefined> {
  try {
    return systemOfCall('findActor').findActor<M>(name)
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * In a function run as an actor (see {@link currentActor}): waits for an actor named `name`
 * anywhere in the cluster and resolves with its portal (tractor's `wait_for_actor`); rejects with
 * `ActorNotFoundError` at the timeout.
 *
 * @example
 * ```ts
 * async function sayHello(other: string) {
 *   const portal = await waitForActor(other, { timeout: 10_000 })
 *   return await portal.run(lines.hi)
 * }
 * ```
 */
export function waitForActor<M = unknown>(
  name: string,
  options?: { timeout?: number; signal?: AbortSignal },
): Promise<ActorPortal<M>> {
  try {
    return systemOfCall('waitForActor').waitForActor<M>(name, options)
  } catch (error) {
    return Promise.reject(error)
  }
}
