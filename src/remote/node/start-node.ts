import { InvalidOptionError } from '../../core/errors.ts'
import { type ActorSystem, type SystemOptions, start as startSystem } from '../../core/system.ts'
import { createConnectionCodec } from '../../wire/codec.ts'
import type { ErrorClass } from '../../wire/wire-error.ts'
import { setChildNetwork } from '../children/child-network.ts'
import type { InProcessNetwork } from '../in-process-network.ts'
import { NotExposedError, RemoteActorError } from '../portal/remote-actor-error.ts'
import { openTcpTransport } from '../tcp-node-transport.ts'
import { endpointOf } from './address.ts'
import { resolveCookie } from './cookie.ts'
import { NodeDownError, RemoteSpawnError } from './errors.ts'
import { type LivenessOptions, type NodeConnection, RemoteNode } from './remote-node.ts'

/** Options of a node that talks to other nodes. */
export interface NodeOptions extends SystemOptions, LivenessOptions {
  /**
   * The secret every node of the cluster shares; it never crosses the wire.
   * @default process.env.TROUPE_COOKIE, else the contents of ~/.troupe-cookie (created if missing)
   */
  cookie?: string
  /**
   * Largest frame this node accepts or sends, in bytes.
   * @default 1048576 (1 MiB)
   */
  maxFrameBytes?: number
  /**
   * A connection that has not proven the cookie within this many milliseconds is closed.
   * @default 5000
   */
  handshakeTimeoutMs?: number
  /** TLS between nodes (mutual: each side checks the other's certificate against `ca`). */
  tls?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer }
  /** Error classes that arrive from other nodes as themselves (`instanceof` works). */
  errorClasses?: readonly ErrorClass[]
  /** Connects the node to other nodes of this process only, without sockets (for tests). */
  network?: InProcessNetwork
}

const remoteNodes = new WeakMap<ActorSystem, RemoteNode>()
/** The options a local system was started with, for the node-to-node layer it may get later. */
const laterSetups = new WeakMap<ActorSystem, RemoteNodeSetup>()

/** @internal The node-to-node layer of a system started networked, for the layers above (the registry). */
export function remoteOf(system: ActorSystem): RemoteNode | undefined {
  return remoteNodes.get(system)
}

/** What {@link attachRemoteNode} needs: liveness settings and the error classes of the codec. */
export interface RemoteNodeSetup extends LivenessOptions {
  /** Error classes that arrive from other nodes as themselves (`instanceof` works). */
  errorClasses?: readonly ErrorClass[]
}

/**
 * @internal Gives `system` its node-to-node layer (a `RemoteNode` and the codec of its
 * connections), without a transport: connections reach it by `remote.adopt` (child nodes), or the
 * caller sets `remote.transport`. Returns the layer the system already has, if it has one.
 */
export function attachRemoteNode(system: ActorSystem, given?: RemoteNodeSetup): RemoteNode {
  const existing = remoteNodes.get(system)
  if (existing !== undefined) return existing
  const setup = given ?? laterSetups.get(system) ?? {}
  const remote = new RemoteNode(system, {
    heartbeatIntervalMs: setup.heartbeatIntervalMs ?? 1000,
    heartbeatTimeoutMs: setup.heartbeatTimeoutMs ?? 3000,
    reconnectMinMs: setup.reconnectMinMs ?? 100,
    reconnectMaxMs: setup.reconnectMaxMs ?? 5000,
  })
  remoteNodes.set(system, remote)
  const codecOptions = {
    resolveRef: (address: string) => remote.resolve(address),
    errorClasses: [
      NodeDownError,
      RemoteSpawnError,
      RemoteActorError,
      NotExposedError,
      ...(setup.errorClasses ?? []),
    ],
  }
  remote.codecFor = () => {
    const { encoder, decoder } = createConnectionCodec(codecOptions)
    return {
      encode: (e) => encoder.encodeEnvelope(e),
      decode: (b) => decoder.decodeEnvelope(b),
      reset: () => encoder.reset(),
    }
  }
  return remote
}

/**
 * Starts an actor system. With a node name `name@host:port` the node listens there (on
 * 127.0.0.1 unless the name says otherwise) and talks to other nodes: refs to their actors work
 * like local ones.
 *
 * @example
 * ```ts
 * const system = await start({ node: 'app@127.0.0.1:9700', cookie: process.env.COOKIE })
 * const other = system.spawn(Counter, { on: 'worker@127.0.0.1:9701' })
 * other.tell({ type: 'inc', by: 2 })
 * ```
 */
export async function start(options: NodeOptions = {}): Promise<ActorSystem> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const endpoint = options.node === undefined ? undefined : endpointOf(options.node)
  if (endpoint === undefined) {
    if (options.network !== undefined)
      throw new InvalidOptionError('node', 'a networked node needs a name@host:port')
    const system = await startSystem(options)
    // It gets its node-to-node layer only if it starts child nodes: with these settings then.
    laterSetups.set(system, options)
    return system
  }
  const system = await startSystem(options)
  const remote = attachRemoteNode(system, options)
  const adopt = (connection: NodeConnection) => void remote.adopt(connection, false)
  try {
    if (options.network !== undefined) {
      remote.transport = options.network.join(system.node, adopt)
    } else {
      const cookie = resolveCookie(options.cookie)
      remote.transport = await openTcpTransport(system.node, endpoint, adopt, {
        ...options,
        cookie,
        incarnation: remote.incarnation,
        logger: system.logger,
      })
      // Children of a TLS node reach only their parent: they have no certificate of their own.
      if (options.tls === undefined) {
        setChildNetwork(system, {
          host: endpoint.host,
          cookie,
          liveness: remote.liveness,
          ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
          ...(options.handshakeTimeoutMs === undefined
            ? {}
            : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
        })
      }
    }
  } catch (error) {
    await system.shutdown()
    throw error
  }
  return system
}
