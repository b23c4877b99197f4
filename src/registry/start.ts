import { ActorStoppedError, InvalidOptionError } from '../core/errors.ts'
import type { Ref } from '../core/ref.ts'
import type { ActorSystem } from '../core/system.ts'
import { endpointOf } from '../remote/address.ts'
import { childActorsOf } from '../remote/child-actor.ts'
import { childRunnerOf } from '../remote/child-run.ts'
import type { RemoteNode } from '../remote/remote-node.ts'
import { type NodeOptions, remoteOf, start as startNode } from '../remote/start-node.ts'
import { RegistryUnavailableError } from './errors.ts'
import { REGISTRY_NAME, REGISTRY_PATH, Registry, type RegistryMessage } from './registry-actor.ts'
import { type ContactRegistry, RegistryLink } from './registry-link.ts'

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
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const { registry, ...nodeOptions } = options
  if (registry === undefined) return withChildNodes(await startNode(nodeOptions))
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
  const where = registry === true ? node : registry
  const askTimeoutMs = options.askTimeoutMs ?? 5000
  try {
    const remote = remoteOf(system)
    if (remote === undefined) throw new Error(`${node} started without its node-to-node layer`)
    let contact: ContactRegistry
    if (hosts) {
      const own = system.spawn(Registry, { name: REGISTRY_NAME })
      contact = async () => own
    } else {
      contact = contactRegistry(remote, where, target, askTimeoutMs)
    }
    remote.registry = await RegistryLink.open(system, remote.runtime.names, contact, {
      registry: where,
      rejoins: !hosts,
      askTimeoutMs,
      retryMinMs: options.reconnectMinMs ?? 100,
      retryMaxMs: options.reconnectMaxMs ?? 5000,
    })
  } catch (error) {
    await system.shutdown()
    throw error
  }
  return withChildNodes(system)
}

interface RegistryTarget {
  /** The root node's name, when given. */
  node: string | undefined
  host: string
  port: number
}

/** `undefined` for `true` (host it here); else where the root node is. */
function registryTarget(registry: unknown, options: ClusterOptions): RegistryTarget | undefined {
  if (registry === true) return undefined
  const named = typeof registry === 'string' ? endpointOf(registry) : undefined
  const bare = typeof registry === 'string' ? endpointOf(`${REGISTRY_NAME}@${registry}`) : undefined
  if (named !== undefined) return { node: registry as string, host: named.host, port: named.port }
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
): ContactRegistry {
  return async (signal) => {
    try {
      const root = target.node ?? (await nodeAt(remote, target))
      const registry = remote.refOf(root, REGISTRY_PATH) as Ref<RegistryMessage>
      await registry.ask({ type: 'join', node: remote.system.node }, { timeout: timeoutMs, signal })
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
  return system
}

/** The name of the node listening at `host:port`, learnt from the handshake of a connection kept for use. */
async function nodeAt(remote: RemoteNode, target: RegistryTarget): Promise<string> {
  const transport = remote.transport
  if (transport === undefined) throw new TypeError('the node has no transport')
  const connection = await transport.connect({ name: '', host: target.host, port: target.port }, '')
  const node = connection.peer.node
  if (node === remote.system.node) connection.close()
  else remote.adopt(connection, true)
  return node
}
