import type { RemoteHooks } from './core-extensions.ts'
import { ActorStoppedError, InvalidOptionError } from './errors.ts'
import type { Ref } from './ref.ts'
import type { ActorSystem } from './system.ts'

/** The most actors one page of `system.observe` holds: a larger `limit` is capped to it. */
export const MAX_OBSERVE_LIMIT = 500

/** How many actors a page of `system.observe` holds when no `limit` is given. */
const DEFAULT_OBSERVE_LIMIT = 100

/** Options of `system.observe`: which page of which actor's children. */
export interface ObserveOptions {
  /**
   * The path of the actor whose children to list (`/user/orders`).
   * @default '/user' (the actors spawned on the system)
   */
  parent?: string
  /**
   * How many children to skip, in spawn order.
   * @default 0
   */
  offset?: number
  /**
   * How many children to list at most; more than {@link MAX_OBSERVE_LIMIT} (500) lists 500.
   * @default 100
   */
  limit?: number
}

/** What a node sends for one query of `system.observe` (its options, checked and filled in). */
export interface ObserveQuery {
  readonly parent: string
  readonly offset: number
  readonly limit: number
}

/** One actor as `system.observe` reads it: where it is, and its counters as they stood. */
export interface ObservedActor {
  /** Its path on its node (`/user/orders/o-17`). */
  readonly path: string
  /** The last segment of its path. */
  readonly name: string
  /** How many children it has. */
  readonly childCount: number
  /** Messages (and signals) waiting in its mailbox. */
  readonly queued: number
  /** Messages (and signals) it has taken from its mailbox so far, over all its incarnations. */
  readonly handled: number
  /** How many times it was restarted. */
  readonly restarts: number
}

/** One page of the children of one actor of a node, as `system.observe` gives it. */
export interface ObservedPage {
  /** The node the actors are on. */
  readonly node: string
  /** The path of the actor whose children these are. */
  readonly parent: string
  /** How many children it has in all (the page holds at most `limit` of them from `offset`). */
  readonly total: number
  readonly offset: number
  /** The children of the page, in spawn order. */
  readonly actors: readonly ObservedActor[]
}

/** The query `options` make; throws `InvalidOptionError` for a malformed one. */
export function observeQuery(options: ObserveOptions = {}): ObserveQuery {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const { parent = '/user', offset = 0, limit = DEFAULT_OBSERVE_LIMIT } = options
  if (typeof parent !== 'string' || !parent.startsWith('/'))
    throw new InvalidOptionError(
      'parent',
      `expected an actor's path such as '/user/orders', got ${String(parent)}`,
    )
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new InvalidOptionError('offset', `expected a non-negative integer, got ${String(offset)}`)
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new InvalidOptionError('limit', `expected a positive integer, got ${String(limit)}`)
  return { parent, offset, limit: Math.min(limit, MAX_OBSERVE_LIMIT) }
}

/**
 * One page of the children of `query.parent` on `node`: read here for this node (no message is
 * sent to the actors), asked of the node otherwise (see `system.observe`).
 */
export async function observeNode(
  system: ActorSystem,
  remote: RemoteHooks | undefined,
  node: string,
  options: ObserveOptions | undefined,
): Promise<ObservedPage> {
  const query = observeQuery(options)
  if (node === system.node) return observeHere(system, query)
  if (typeof node !== 'string' || node === '') throw new InvalidOptionError('node', 'expected a node name')
  if (remote === undefined)
    throw new InvalidOptionError(
      'node',
      `${node} is another node, and this node (${system.node}) is not networked`,
    )
  return remote.observe(node, query)
}

/** One page of the children of `query.parent` on this node; rejects with `ActorStoppedError` when it is not alive. */
export function observeHere(system: ActorSystem, query: ObserveQuery): ObservedPage {
  const parent = query.parent === '/user' ? undefined : system.actorAt(query.parent)
  if (parent === undefined && query.parent !== '/user')
    throw new ActorStoppedError(`troupe://${system.node}${query.parent}`)
  const children = system.childrenOf(parent)
  const actors: ObservedActor[] = []
  for (const child of children.slice(query.offset, query.offset + query.limit)) {
    const seen = observed(system, child)
    if (seen !== undefined) actors.push(seen)
  }
  return { node: system.node, parent: query.parent, total: children.length, offset: query.offset, actors }
}

function observed(system: ActorSystem, ref: Ref): ObservedActor | undefined {
  const counters = system.actorCounters(ref)
  if (counters === undefined) return undefined
  const { path, name } = ref
  return { path, name, childCount: system.childrenOf(ref).length, ...counters }
}
