import { randomBytes } from 'node:crypto'
import { InvalidOptionError } from '../core/errors.ts'
import { CHILD_ACTORS, CHILD_RUNNER, createSystem, PORTALS } from '../core/internal.ts'
import type { ActorSystem } from '../core/system.ts'
import { childActorsOf } from '../remote/children/child-actor.ts'
import { refuseStartWhileLoading } from '../remote/children/child-module-loading.ts'
import {
  type ChildNetwork,
  registryToPassOn,
  setChildNetwork,
  setChildNetworkMaker,
} from '../remote/children/child-network.ts'
import { CHILD_MAIN } from '../remote/children/child-node.ts'
import { childRunnerOf } from '../remote/children/child-run.ts'
import { CHILD_TRANSPORTS } from '../remote/children/child-transports.ts'
import { endpointOf, type NodeEndpoint } from '../remote/node/address.ts'
import { openRemoteNode, REMOTE_NODE_SETUP } from '../remote/node/remote-node-of.ts'
import { portalOf } from '../remote/portal/portal.ts'
import { openNodeTransport } from './node-transport.ts'
import {
  hostRegistryForChildren,
  linkRegistry,
  type RegistrySetup,
  registryTarget,
} from './registry-wiring.ts'
import { type ClusterOptions, DEFAULT_REGISTRY_PORT } from './start-options.ts'
import { childTransports, chosenTransport, findsNodesByName, takesPlainNames } from './transports.ts'

export type { ClusterOptions, NodeOptions } from './start-options.ts'
export { DEFAULT_REGISTRY_PORT }

/** The program a child node runs: it starts its node through {@link startNode}. */
const CHILD_MAIN_MODULE = new URL(
  import.meta.url.endsWith('.ts') ? './child-main.ts' : './child-main.js',
  import.meta.url,
)

/** The root node of a registry started without a node name (`start({ registry: true })`). */
const DEFAULT_ROOT_NODE = `root@127.0.0.1:${DEFAULT_REGISTRY_PORT}`

/**
 * What the main of a child node tells {@link startNode} besides its options: the cluster of its
 * parent, from its boot (`undefined` when the parent is not networked: the child then talks to its
 * parent alone, over the link to it).
 */
export interface ChildStart {
  readonly network: Omit<ChildNetwork, 'cookie' | 'liveness'> | undefined
  /** The parent's cookie, which the child proves to the other nodes of the cluster. */
  readonly cookie: string | undefined
}

/**
 * Starts an actor system: local with no options, networked with a node name `name@host:port` (it
 * listens there, on 127.0.0.1 unless the name says otherwise, and refs to the actors of other nodes
 * work like local ones), and part of a cluster with a registry (see {@link ClusterOptions.registry}).
 * Over NATS (`nats: 'nats://127.0.0.1:4222'`) a node finds the others by name on the NATS cluster:
 * its name is plain (`'app'`, no `@host:port`), and a node given none gets a unique `node-<random>`.
 * It rejects with `RegistryUnavailableError` when the registry to join cannot be reached.
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
  return await startNode(options)
}

/**
 * @internal What {@link start} does, and what the main of a child node calls with its {@link ChildStart}
 * (its start must not be refused while it loads its modules, and its boot is no public option):
 * wires a system, a transport, the node-to-node layer, the registry and child nodes as the options ask.
 */
export async function startNode(options: ClusterOptions, child?: ChildStart): Promise<ActorSystem> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const { registry, ...nodeOptions } = options
  if (registry !== undefined && takesPlainNames(options))
    throw new InvalidOptionError(
      'registry',
      `a node on ${chosenTransport(options)} finds the other nodes' names in its cluster itself: give no registry`,
    )
  const joining = registry === undefined ? undefined : registryPlan(registry, options)
  // A transport that finds nodes by plain names (NATS) names an unnamed node uniquely.
  const plainNames = takesPlainNames(options)
  const node =
    joining?.node ?? options.node ?? (plainNames ? `node-${randomBytes(6).toString('hex')}` : undefined)
  const endpoint = node === undefined ? undefined : endpointOf(node)
  if (endpoint === undefined && options.network !== undefined)
    throw new InvalidOptionError('node', 'a networked node needs a name@host:port')
  const system = createSystem(node === undefined ? nodeOptions : { ...nodeOptions, node })
  try {
    if (child !== undefined) await wireChild(system, options, child)
    else if (endpoint !== undefined || plainNames) await wireNode(system, options, endpoint)
    else wireLocal(system, options)
    if (joining !== undefined) await linkRegistry(system, joining.setup)
  } catch (error) {
    await system.shutdown()
    throw error
  }
  // Nurseries run functions in child nodes (`runInActor(…, { in })`), `spawn(def, { in })` actors.
  system.extensions.set(CHILD_RUNNER, childRunnerOf(system))
  system.extensions.set(CHILD_ACTORS, childActorsOf(system))
  system.extensions.set(CHILD_TRANSPORTS, childTransports)
  system.extensions.set(PORTALS, (ref) => portalOf(system, ref))
  system.extensions.set(CHILD_MAIN, CHILD_MAIN_MODULE)
  return system
}

/** The node a registry option needs and how the node reaches the registry; throws for bad options. */
function registryPlan(
  registry: string | true,
  options: ClusterOptions,
): { node: string; setup: RegistrySetup } {
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
  return {
    node,
    setup: {
      hosts,
      where: registry === true ? node : registry,
      target,
      askTimeoutMs: options.askTimeoutMs ?? 5000,
      retryMinMs: options.reconnectMinMs ?? 100,
      retryMaxMs: options.reconnectMaxMs ?? 5000,
    },
  }
}

/**
 * A system without a port: it gets its node-to-node layer only if it starts child nodes (with these
 * settings then), and it hosts the registry of its children.
 */
function wireLocal(system: ActorSystem, options: ClusterOptions): void {
  system.extensions.set(REMOTE_NODE_SETUP, options)
  // Children of a TLS node reach only their parent: they have no certificate of their own.
  if (options.tls === undefined) setChildNetworkMaker(system, () => hostRegistryForChildren(system, options))
}

/**
 * A node that listens at `endpoint` (or joins the in-process network, or a transport that finds
 * nodes by name and has no endpoint) and talks to other nodes.
 */
async function wireNode(
  system: ActorSystem,
  options: ClusterOptions,
  endpoint: NodeEndpoint | undefined,
): Promise<void> {
  const remote = openRemoteNode(system, options)
  const { transport, cookie, joined } = await openNodeTransport(system, remote, endpoint, options)
  remote.transport = transport
  await joined?.(system, remote, options)
  // Children of a TLS node reach only their parent: they have no certificate of their own. Nor do
  // the children of a node that finds others by name (NATS): they are not on its transport.
  if (
    endpoint !== undefined &&
    !findsNodesByName(options) &&
    cookie !== undefined &&
    options.tls === undefined
  ) {
    setChildNetwork(system, {
      host: endpoint.host,
      cookie,
      liveness: remote.liveness,
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
      ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
      ...(options.frameAuth === undefined ? {} : { frameAuth: options.frameAuth }),
    })
  }
}

/**
 * A child node: its connection to its parent comes later (its main adopts it). The child of a
 * networked node listens on a port of its own, so that other nodes of the cluster reach it (they
 * learn the port from the registry), and can reach them; its own children join the same cluster,
 * when they can reach its registry.
 */
async function wireChild(system: ActorSystem, options: ClusterOptions, child: ChildStart): Promise<void> {
  const remote = openRemoteNode(system, options)
  const network = child.network
  if (network === undefined) return
  const { registry, ...own } = network
  const { transport, cookie } = await openNodeTransport(
    system,
    remote,
    { name: system.node, host: network.host, port: 0 },
    { ...own, cookie: child.cookie },
  )
  remote.transport = transport
  const passOn = registryToPassOn(registry)
  setChildNetwork(system, {
    ...own,
    cookie: cookie!,
    liveness: remote.liveness,
    ...(passOn === undefined ? {} : { registry: passOn }),
  })
}
