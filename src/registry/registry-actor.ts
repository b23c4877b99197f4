import { defineActor } from '../core/behavior.ts'
import type { Ref } from '../core/ref.ts'
import { Terminated } from '../core/signals.ts'
import type { NodeEndpoint } from '../remote/node/address.ts'
import { RemoteRef } from '../remote/node/remote-ref.ts'

/** What the cluster registry answers to; every message but `unregister` is asked. */
export type RegistryMessage =
  /**
   * A node joins the cluster (answer: `true`). A node whose name carries no endpoint (a child
   * node) says where it listens, so that other nodes can `locate` it.
   */
  | { type: 'join'; node: string; endpoint?: NodeEndpoint }
  /** Where a node that joined with an endpoint listens (answer: {@link NodeEndpoint} or `null`). */
  | { type: 'locate'; node: string }
  /** Claims a name for an actor (answer: {@link RegisterReply}). */
  | { type: 'register'; name: string; ref: Ref }
  /** Frees a name, if `ref` holds it. */
  | { type: 'unregister'; name: string; ref: Ref }
  /** The actor holding a name (answer: its ref, or `null`). */
  | { type: 'find'; name: string }
  /** The actor holding a name, once there is one (answer: its ref); the asker gives up after `timeoutMs`. */
  | { type: 'wait'; name: string; timeoutMs: number }
  /** Every entry (answer: {@link RegistryEntry}[] sorted by name). */
  | { type: 'list' }

/** One line of a `list` answer. */
export interface RegistryEntry {
  name: string
  ref: Ref
  address: string
}

/** The answer to `register`: refused, with the holder's address, when another live actor holds the name. */
export type RegisterReply = { ok: true } | { ok: false; holder: string }

interface Waiter {
  asker: Ref
  until: number
}

/** Options of a {@link Registry}, given as its props. */
export interface RegistryProps {
  /**
   * Log nodes joining and names forgotten with their node at debug level, not info (the registry a
   * root without a port hosts for its children: their comings and goings are no news).
   * @default false
   */
  quiet?: boolean
}

interface State {
  /** The level of the lines about nodes coming and going. */
  newsLevel: 'info' | 'debug'
  entries: Map<string, Ref>
  waiting: Map<string, Waiter[]>
  /** Where the nodes that joined with an endpoint listen (Erlang's port mapper). */
  endpoints: Map<string, NodeEndpoint>
}

/** The name the registry actor has on its node. */
export const REGISTRY_NAME = 'registry'

/** The path of the registry actor on the root node. */
export const REGISTRY_PATH = `/user/${REGISTRY_NAME}`

/**
 * The cluster's registry (tractor's arbiter): name -> ref for the named actors of every node that
 * joined it, one actor per name in the whole cluster. It watches every registered actor, so the
 * entries of an actor that stops, or of a node that goes down (`Terminated` with `node-down`),
 * disappear by themselves.
 */
export const Registry = defineActor<RegistryMessage, State, RegistryProps | undefined>({
  init: (props) => ({
    newsLevel: props?.quiet === true ? 'debug' : 'info',
    entries: new Map(),
    waiting: new Map(),
    endpoints: new Map(),
  }),
  receive(state, message, ctx) {
    switch (message.type) {
      case 'join':
        ctx.log[state.newsLevel]({ joined: message.node }, `node ${message.node} joined the cluster registry`)
        if (isEndpoint(message.endpoint)) {
          const { host, port } = message.endpoint
          state.endpoints.set(message.node, { name: message.node, host, port })
        }
        ctx.reply(true)
        break
      case 'locate':
        ctx.reply(state.endpoints.get(message.node) ?? null)
        break
      case 'register': {
        const { name, ref } = message
        const holder = state.entries.get(name)
        if (holder !== undefined && sameActor(holder, ref)) {
          ctx.reply({ ok: true } satisfies RegisterReply)
          break
        }
        if (holder !== undefined && !holder.equals(ref)) {
          ctx.log.warn(
            { name, refused: ref.address, holder: holder.address },
            `refused the name '${name}' to ${ref.address}: ${holder.address} holds it`,
          )
          ctx.reply({ ok: false, holder: holder.address } satisfies RegisterReply)
          break
        }
        // A new actor, or the same address in a new life of its node: the old one is gone.
        if (holder !== undefined) ctx.unwatch(holder)
        state.entries.set(name, ref)
        ctx.watch(ref)
        ctx.reply({ ok: true } satisfies RegisterReply)
        const waiters = state.waiting.get(name)
        state.waiting.delete(name)
        const now = Date.now()
        for (const waiter of waiters ?? []) if (waiter.until >= now) waiter.asker.tell(ref)
        break
      }
      case 'unregister': {
        const holder = state.entries.get(message.name)
        if (holder === undefined || !sameActor(holder, message.ref)) break
        state.entries.delete(message.name)
        ctx.unwatch(holder)
        break
      }
      case 'find':
        ctx.reply(state.entries.get(message.name) ?? null)
        break
      case 'wait': {
        const found = state.entries.get(message.name)
        if (found !== undefined) {
          ctx.reply(found)
          break
        }
        forgetExpired(state.waiting)
        if (ctx.sender === undefined) break
        const list = state.waiting.get(message.name) ?? []
        list.push({ asker: ctx.sender, until: Date.now() + message.timeoutMs })
        state.waiting.set(message.name, list)
        break
      }
      case 'list':
        ctx.reply(
          [...state.entries]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([name, ref]): RegistryEntry => ({ name, ref, address: ref.address })),
        )
        break
      default:
        ctx.unhandled()
    }
    return state
  },
  signal(state, signal, ctx) {
    if (!(signal instanceof Terminated)) return state
    if (signal.reason === 'node-down' && signal.ref instanceof RemoteRef)
      state.endpoints.delete(signal.ref.node)
    for (const [name, ref] of state.entries) {
      if (ref !== signal.ref && !sameActor(ref, signal.ref)) continue
      state.entries.delete(name)
      const line = `forgot '${name}' (${ref.address}): ${signal.reason}`
      if (signal.reason === 'node-down') ctx.log[state.newsLevel]({ name, address: ref.address }, line)
      else ctx.log.debug({ name, address: ref.address }, line)
    }
    return state
  },
})

/** The same actor: the same address and, for actors of other nodes, the same life of that node. */
function sameActor(a: Ref, b: Ref): boolean {
  if (!a.equals(b)) return false
  if (!(a instanceof RemoteRef) || !(b instanceof RemoteRef)) return true
  return a.incarnation === undefined || b.incarnation === undefined || a.incarnation === b.incarnation
}

function isEndpoint(value: unknown): value is NodeEndpoint {
  if (typeof value !== 'object' || value === null) return false
  const { host, port } = value as { host?: unknown; port?: unknown }
  return (
    typeof host === 'string' && Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536
  )
}

function forgetExpired(waiting: Map<string, Waiter[]>): void {
  const now = Date.now()
  for (const [name, list] of waiting) {
    const live = list.filter((waiter) => waiter.until >= now)
    if (live.length === 0) waiting.delete(name)
    else if (live.length < list.length) waiting.set(name, live)
  }
}
