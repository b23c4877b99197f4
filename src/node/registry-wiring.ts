import { randomBytes } from 'node:crypto'
import { ActorStoppedError, InvalidOptionError, NameTakenError } from '../core/errors.ts'
import type { Ref } from '../core/ref.ts'
import type { ActorSystem } from '../core/system.ts'
import { RegistryUnavailableError } from '../registry/errors.ts'
import { REGISTRY_NAME, REGISTRY_PATH, Registry, type RegistryMessage } from '../registry/registry-actor.ts'
import { type ContactRegistry, RegistryLink } from '../registry/registry-link.ts'
import {
  type ChildNetwork,
  type ChildRegistry,
  childNetworkOf,
  registryToPassOn,
} from '../remote/children/child-network.ts'
import { endpointOf, type NodeEndpoint } from '../remote/node/address.ts'
import { resolveCookie } from '../remote/node/cookie.ts'
import { NodeDownError } from '../remote/node/errors.ts'
import type { RemoteNode } from '../remote/node/remote-node.ts'
import { openRemoteNode, remoteNodeOf } from '../remote/node/remote-node-of.ts'
import { type ClusterOptions, DEFAULT_REGISTRY_PORT, type NodeOptions } from './start-options.ts'

/** How a node reaches its cluster registry. */
export interface RegistrySetup {
  /** This node hosts it. */
  hosts: boolean
  /** Where it is, as the node was given it. */
  where: string
  target: RegistryTarget | undefined
  askTimeoutMs: number
  retryMinMs: number
  retryMaxMs: number
  /** Where this node listens, when its name does not say (a child node). */
  endpoint?: NodeEndpoint
  /** Join again when the registry is lost. @default true unless this node hosts it */
  rejoins?: boolean
  /** The registry this node hosts logs nodes coming and going at debug level. @default false */
  quiet?: boolean
}

/**
 * Links `system` to its cluster registry (hosting it, or joining the root node), and lets its child
 * nodes join it too.
 */
export async function linkRegistry(system: ActorSystem, setup: RegistrySetup): Promise<void> {
  const remote = remoteNodeOf(system)
  if (remote === undefined) throw new Error(`${system.node} started without its node-to-node layer`)
  let contact: ContactRegistry
  if (setup.hosts || setup.target === undefined) {
    const own = system.spawn(Registry, { name: REGISTRY_NAME, props: { quiet: setup.quiet === true } })
    contact = async () => own
  } else {
    contact = contactRegistry(remote, setup.where, setup.target, setup.askTimeoutMs, setup.endpoint)
  }
  const opening = RegistryLink.open(system, remote.runtime.names, contact, {
    registry: setup.where,
    rejoins: setup.rejoins ?? !setup.hosts,
    askTimeoutMs: setup.askTimeoutMs,
    retryMinMs: setup.retryMinMs,
    retryMaxMs: setup.retryMaxMs,
  })
  // Finds and waits made while the node joins (a child node runs functions at once) wait for it.
  remote.registry = {
    find: async (name) => (await opening).find(name),
    wait: async (name, timeoutMs, signal) => (await opening).wait(name, timeoutMs, signal),
    locate: async (node) => (await opening).locate(node),
  }
  let link: RegistryLink
  try {
    link = await opening
  } catch (error) {
    remote.registry = null
    throw error
  }
  remote.registry = link
  const network = childNetworkOf(system)
  const passOn = registryToPassOn(link.root === undefined ? undefined : childRegistry(link.root))
  if (network !== undefined && passOn !== undefined) network.registry = passOn
}

/**
 * The network of the children of a system without a node name, made when the first one starts:
 * the system hosts a registry for them (reached over their links to it), and they listen on
 * 127.0.0.1 with a cookie made here, which they get as they start (never on a command line).
 */
export async function hostRegistryForChildren(
  system: ActorSystem,
  options: NodeOptions,
): Promise<ChildNetwork> {
  const remote = openRemoteNode(system)
  try {
    await linkRegistry(system, {
      hosts: true,
      where: system.node,
      target: undefined,
      askTimeoutMs: options.askTimeoutMs ?? 5000,
      retryMinMs: options.reconnectMinMs ?? 100,
      retryMaxMs: options.reconnectMaxMs ?? 5000,
      quiet: true,
    })
  } catch (error) {
    if (!(error instanceof NameTakenError)) throw error
    throw new InvalidOptionError(
      'name',
      `the actor named '${REGISTRY_NAME}' on ${system.node} holds the name of the registry this node hosts for its child nodes: give that actor another name`,
    )
  }
  return {
    host: '127.0.0.1',
    cookie:
      options.cookie === undefined ? randomBytes(24).toString('base64url') : resolveCookie(options.cookie),
    liveness: remote.liveness,
    ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
    ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
    ...(options.frameAuth === undefined ? {} : { frameAuth: options.frameAuth }),
    registry: childRegistry(system.node),
  }
}

function childRegistry(root: string): ChildRegistry {
  return { root, module: CHILD_JOIN_MODULE }
}

/** What a child node of a cluster member loads to join the registry (see `joinRegistry`). */
const CHILD_JOIN_MODULE = new URL(
  import.meta.url.endsWith('.ts') ? './child-join.ts' : './child-join.js',
  import.meta.url,
).href

/**
 * @internal A child node joins the registry of its parent's cluster, saying where it listens
 * (its name carries no endpoint). It does not join again when the registry's node is its parent:
 * it ends with its parent. A registry whose node has no port is its parent's, reached over the
 * link to it.
 */
export async function joinRegistry(
  system: ActorSystem,
  root: string,
  endpoint: NodeEndpoint,
  parent: string,
): Promise<void> {
  const at = endpointOf(root)
  if (at === undefined && root !== parent)
    throw new InvalidOptionError('registry', `expected name@host:port, got ${root}`)
  const remote = remoteNodeOf(system)
  const liveness = remote?.liveness
  try {
    await linkRegistry(system, {
      hosts: false,
      where: root,
      target: { node: root },
      askTimeoutMs: remote?.runtime.asks.defaultTimeoutMs ?? 5000,
      retryMinMs: liveness?.reconnectMinMs ?? 100,
      retryMaxMs: liveness?.reconnectMaxMs ?? 5000,
      endpoint,
      rejoins: root !== parent,
    })
  } catch (error) {
    if (!(root === parent && parentWentAway(error))) throw error
    // A parent that shuts down while its child joins its registry takes the child with it: no
    // failure to report.
    system.logger.debug({ err: error }, `the registry of ${parent} went away as this node joined it`)
  }
}

/** Whether a join failed because the registry's node, or the registry itself, went away. */
function parentWentAway(error: unknown): boolean {
  const cause = error instanceof RegistryUnavailableError ? error.cause : error
  return (
    cause instanceof NodeDownError ||
    cause instanceof ActorStoppedError ||
    (cause instanceof Error && cause.cause instanceof ActorStoppedError)
  )
}

/** The root node: by its name, or by where it listens (its name is learnt from the handshake). */
export type RegistryTarget = { node: string } | { node: undefined; host: string; port: number }

/** `undefined` for `true` (host it here); else where the root node is. */
export function registryTarget(registry: unknown, options: ClusterOptions): RegistryTarget | undefined {
  if (registry === true) return undefined
  const named = typeof registry === 'string' ? endpointOf(registry) : undefined
  const bare = typeof registry === 'string' ? endpointOf(`${REGISTRY_NAME}@${registry}`) : undefined
  if (named !== undefined) return { node: registry as string }
  if (bare === undefined) {
    throw new InvalidOptionError(
      'registry',
      `expected true, host:port or name@host:port (such as 127.0.0.1:${DEFAULT_REGISTRY_PORT}), got ${JSON.stringify(registry)}`,
    )
  }
  if (options.network !== undefined) {
    throw new InvalidOptionError(
      'registry',
      'the in-process network finds nodes by name: give the registry as name@host:port',
    )
  }
  return { node: undefined, host: bare.host, port: bare.port }
}

/** Joins the registry of the root node: by its name, or by its address (learning its name). */
function contactRegistry(
  remote: RemoteNode,
  where: string,
  target: RegistryTarget,
  timeoutMs: number,
  endpoint: NodeEndpoint | undefined,
): ContactRegistry {
  return async (signal) => {
    try {
      const root = target.node ?? (await nodeAt(remote, target))
      const registry = remote.refOf(root, REGISTRY_PATH) as Ref<RegistryMessage>
      const join: RegistryMessage =
        endpoint === undefined
          ? { type: 'join', node: remote.system.node }
          : { type: 'join', node: remote.system.node, endpoint }
      await registry.ask(join, { timeout: timeoutMs, signal })
      return registry
    } catch (error) {
      if (error instanceof ActorStoppedError) {
        throw new RegistryUnavailableError(
          where,
          new Error('that node runs no registry (start it with `registry: true`)', { cause: error }),
        )
      }
      throw new RegistryUnavailableError(where, error)
    }
  }
}

/** The name of the node listening at `host:port`, learnt from the handshake of a connection kept for use. */
async function nodeAt(remote: RemoteNode, target: { host: string; port: number }): Promise<string> {
  const transport = remote.transport
  if (transport === undefined) throw new TypeError('the node has no transport')
  const connection = await transport.connect({ host: target.host, port: target.port }, '')
  const node = connection.peer.node
  if (node === remote.system.node) connection.close()
  else remote.adopt(connection, true)
  return node
}
