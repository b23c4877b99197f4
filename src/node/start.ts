import { randomBytes } from 'node:crypto'
import { ActorStoppedError, InvalidOptionError, NameTakenError } from '../core/errors.ts'
import type { Ref } from '../core/ref.ts'
import type { ActorSystem } from '../core/system.ts'
import { RegistryUnavailableError } from '../registry/errors.ts'
import { REGISTRY_NAME, REGISTRY_PATH, Registry, type RegistryMessage } from '../registry/registry-actor.ts'
import { type ContactRegistry, RegistryLink } from '../registry/registry-link.ts'
import { childActorsOf } from '../remote/children/child-actor.ts'
import { refuseStartWhileLoading } from '../remote/children/child-module-loading.ts'
import {
  type ChildNetwork,
  type ChildRegistry,
  childNetworkOf,
  registryToPassOn,
  setChildNetworkMaker,
} from '../remote/children/child-network.ts'
import { childRunnerOf } from '../remote/children/child-run.ts'
import { endpointOf, type NodeEndpoint } from '../remote/node/address.ts'
import { resolveCookie } from '../remote/node/cookie.ts'
import { NodeDownError } from '../remote/node/errors.ts'
import type { RemoteNode } from '../remote/node/remote-node.ts'
import {
  attachRemoteNode,
  type NodeOptions,
  remoteOf,
  start as startNode,
} from '../remote/node/start-node.ts'
import { portalOf } from '../remote/portal/portal.ts'

/** The port the root node, which hosts the cluster registry, listens on unless told otherwise. */
export const DEFAULT_REGISTRY_PORT = 1616

/** The root node of a registry started without a node name (`start({ registry: true })`). */
const DEFAULT_ROOT_NODE = `root@127.0.0.1:${DEFAULT_REGISTRY_PORT}`

/** Options of {@link start}: a node's options, and the cluster registry it hosts or joins. */
export interface ClusterOptions extends NodeOptions {
  /**
   * The cluster registry, which maps the name of every named actor of the cluster to its ref, so
   * that `findActor(name)` and `waitForActor(name)` find actors on any node (a name is unique in
   * the cluster: a second actor that claims a taken name is refused, and the refusal is logged).
   *
   * - `true`: this node is the root node and hosts the registry (an actor named `registry`); with
   *   no `node` option it is `root@127.0.0.1:1616`.
   * - `'host:port'` or `'name@host:port'`: join the registry of the root node listening there (the
   *   registry is reached through that node's own port). When it names this very node, this node
   *   hosts the registry, so every node of a cluster can be given the same address.
   *
   * A node that joins registers all its names, present and future; when its registry is lost (the
   * root node went down or restarted) it joins again, with the backoff of `reconnectMinMs` and
   * `reconnectMaxMs`, and registers them again.
   * @default no registry: names are found on this node only
   */
  registry?: string | true
}

/**
 * Starts an actor system: local with no options, networked with a node name `name@host:port`, and
 * part of a cluster with a registry (see {@link ClusterOptions.registry}). It rejects with
 * {@link RegistryUnavailableError} when the registry to join cannot be reached.
 *
 * A system without a port (no `node`, or a name without `@host:port`) hosts the registry of the
 * child nodes it starts (threads and processes, over its links to them), as tractor's root is the
 * arbiter of its children: they find each other by name (`findActor`, `waitForActor`) and call each
 * other with no configuration. They listen on 127.0.0.1 and prove a random cookie this system makes
 * (or its `cookie`). Its own named actors are in that registry too, once it starts a child.
 *
 * In a child node that loads a module for its parent, `start()` at the top level of that module
 * rejects with `StartInChildNodeError`: a child runs no one's top-level program, so a one-file
 * program that exposes functions, starts a system and runs them in children needs no guard (the
 * code before the call, such as `expose`, does run in each child).
 *
 * @example
 * ```ts
 * // the root node, which hosts the registry
 * const root = await start({ node: 'root@127.0.0.1:1616', registry: true })
 *
 * // in another process: a worker node that joins it
 * const worker = await start({ node: 'worker@127.0.0.1:9701', registry: '127.0.0.1:1616' })
 * worker.spawn(Counter, { name: 'counter' })
 *
 * // anywhere in the cluster
 * const app = await start({ node: 'app@127.0.0.1:9700', registry: '127.0.0.1:1616' })
 * const counter = await app.waitForActor<CounterMsg>('counter', { timeout: 5_000 })
 * await counter.ask({ type: 'get' }) // 0
 * ```
 */
export async function start(options: ClusterOptions = {}): Promise<ActorSystem> {
  refuseStartWhileLoading()
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const { registry, ...nodeOptions } = options
  if (registry === undefined) {
    const system = await startNode(nodeOptions)
    // Children of a TLS node reach only their parent: they have no certificate of their own.
    const networked = options.node !== undefined && endpointOf(options.node) !== undefined
    if (!networked && options.tls === undefined)
      setChildNetworkMaker(system, () => hostRegistryForChildren(system, options))
    return withChildNodes(system)
  }
  const target = registryTarget(registry, options)
  const node = options.node ?? (registry === true ? DEFAULT_ROOT_NODE : undefined)
  const endpoint = node === undefined ? undefined : endpointOf(node)
  if (node === undefined || endpoint === undefined) {
    throw new InvalidOptionError(
      'node',
      `to ${registry === true ? 'host' : 'join'} a cluster registry this node needs a name@host:port, got ${JSON.stringify(node)}`,
    )
  }
  const hosts =
    target === undefined ||
    (target.node === undefined
      ? target.host === endpoint.host && target.port === endpoint.port
      : target.node === node)
  const system = await startNode({ ...nodeOptions, node })
  try {
    await linkRegistry(system, {
      hosts,
      where: registry === true ? node : registry,
      target,
      askTimeoutMs: options.askTimeoutMs ?? 5000,
      retryMinMs: options.reconnectMinMs ?? 100,
      retryMaxMs: options.reconnectMaxMs ?? 5000,
    })
  } catch (error) {
    await system.shutdown()
    throw error
  }
  return withChildNodes(system)
}

/** How a node reaches its cluster registry. */
interface RegistrySetup {
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
async function linkRegistry(system: ActorSystem, setup: RegistrySetup): Promise<void> {
  const remote = remoteOf(system)
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
async function hostRegistryForChildren(system: ActorSystem, options: NodeOptions): Promise<ChildNetwork> {
  const remote = attachRemoteNode(system)
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
  const remote = remoteOf(system)
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
type RegistryTarget = { node: string } | { node: undefined; host: string; port: number }

/** `undefined` for `true` (host it here); else where the root node is. */
function registryTarget(registry: unknown, options: ClusterOptions): RegistryTarget | undefined {
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

/** Lets nurseries run functions in child nodes (`runInActor(…, { in })`) and `spawn(def, { in })` run actors there. */
function withChildNodes(system: ActorSystem): ActorSystem {
  system.attachChildRunner(childRunnerOf(system))
  system.attachChildActors(childActorsOf(system))
  system.attachPortals((ref) => portalOf(system, ref))
  return system
}

/** The name of the node listening at `host:port`, learnt from the handshake of a connection kept for use. */
async function nodeAt(remote: RemoteNode, target: { host: string; port: number }): Promise<string> {
  const transport = remote.transport
  if (transport === undefined) throw new TypeError('the node has no transport')
  const connection = await transport.connect({ name: '', host: target.host, port: target.port }, '')
  const node = connection.peer.node
  if (node === remote.system.node) connection.close()
  else remote.adopt(connection, true)
  return node
}
