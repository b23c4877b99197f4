// The entry of a child node started by `startChildNode`, in a worker thread or a child process:
// loads the modules it was given and exposes their actor definitions (a module that calls
// expose(import.meta.url, { … }) registers its functions for portals as it loads), starts a system under the
// node name the parent chose, connects to the parent and takes the connection into its remote
// layer. When the connection closes, it shuts the system down and exits.
import { isMainThread, workerData } from 'node:worker_threads'
import { isLogFormat } from '../core/log-format.ts'
import { type ActorSystem, start } from '../core/system.ts'
import { ignoreRefusedStarts, markChildNode } from '../remote/children/child-module-loading.ts'
import { registryToPassOn, setChildNetwork } from '../remote/children/child-network.ts'
import {
  type ChildBoot,
  exposeModules,
  FUNCTION_HOST,
  FunctionHost,
  MODULE_LOADER,
  ModuleLoader,
  setChildData,
  type ThreadChildData,
} from '../remote/children/child-node.ts'
import { childRunnerOf } from '../remote/children/child-run.ts'
import type { NodeEndpoint } from '../remote/node/address.ts'
import { resolveCookie } from '../remote/node/cookie.ts'
import { attachRemoteNode } from '../remote/node/start-node.ts'
import { setParentNode } from '../remote/portal/current-actor.ts'
import { portalOf } from '../remote/portal/portal.ts'
import { openTcpTransport } from '../remote/tcp-node-transport.ts'
import { connectParent as connectProcessParent, endChildProcesses } from '../transport/process/index.ts'
import { connectParent as connectThreadParent } from '../transport/thread/index.ts'
import type { Connection } from '../transport/transport.ts'

type JoinRegistry = (
  system: ActorSystem,
  root: string,
  endpoint: NodeEndpoint,
  parent: string,
) => Promise<void>

/** How long the child processes of a child that ends have to exit by themselves before they are killed. */
const CHILDREN_GRACE_MS = 1_000

const levels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

function bootOf(): ChildBoot {
  if (!isMainThread) return ((workerData as { data: ThreadChildData }).data as ThreadChildData).boot
  return JSON.parse(process.argv[2] ?? '{}') as ChildBoot
}

const boot = bootOf()
const logLevel = levels.has(boot.logLevel ?? '') ? (boot.logLevel as 'info') : undefined
const logFormat = isLogFormat(boot.logFormat) ? boot.logFormat : undefined
const system = await start({
  node: boot.node,
  ...(logLevel === undefined ? {} : { logLevel }),
  ...(logFormat === undefined ? {} : { logFormat }),
})
const remote = attachRemoteNode(system, boot.liveness)
const network = boot.network
if (network !== undefined) {
  // The child of a networked node listens on a port of its own, so that other nodes of the
  // cluster reach it (they learn the port from the registry), and can reach them.
  const cookie = isMainThread
    ? process.env.TROUPE_COOKIE
    : (workerData as { data: ThreadChildData }).data.cookie
  const settings = {
    cookie: resolveCookie(cookie),
    ...(network.maxFrameBytes === undefined ? {} : { maxFrameBytes: network.maxFrameBytes }),
    ...(network.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: network.handshakeTimeoutMs }),
  }
  remote.transport = await openTcpTransport(
    boot.node,
    { name: boot.node, host: network.host, port: 0 },
    (connection) => void remote.adopt(connection, false),
    { ...settings, incarnation: remote.incarnation, logger: system.logger },
  )
  // Its own children join the same cluster, when they can reach its registry.
  const { registry: _registry, ...ownNetwork } = network
  const passOn = registryToPassOn(network.registry)
  setChildNetwork(system, {
    ...ownNetwork,
    ...settings,
    liveness: remote.liveness,
    ...(passOn === undefined ? {} : { registry: passOn }),
  })
}
// A child runs no one's top-level program: while it loads its modules, start() refuses.
markChildNode()
ignoreRefusedStarts()
// A module that fails to load ends the child before it says hello: the parent's start rejects.
await exposeModules(system, boot.modules)
// A pooled child starts with no modules: its parent has it load them when it is taken.
system.expose({ [MODULE_LOADER]: ModuleLoader, [FUNCTION_HOST]: FunctionHost })

// Loaded now and called as soon as the parent's connection is taken: the parent may run a function
// at once, which may look for actors in the registry.
const registry = network?.registry
const joining =
  registry === undefined ? undefined : ((await import(registry.module)) as { joinRegistry: JoinRegistry })

let connection: Connection
if (isMainThread) {
  const link = await connectProcessParent({ node: boot.node })
  connection = link.connection
  setChildData(link.data)
} else {
  const link = await connectThreadParent()
  connection = link.connection
  setChildData((link.data as ThreadChildData).data)
}
remote.adopt(connection, false)
setParentNode(connection.peer.node)
system.attachPortals((ref) => portalOf(system, ref))
system.attachChildRunner(childRunnerOf(system))
const listening = remote.transport?.listening
if (registry !== undefined && joining !== undefined && listening !== undefined) {
  joining
    .joinRegistry(system, registry.root, { name: boot.node, ...listening }, connection.peer.node)
    .catch((error: unknown) => {
      system.logger.warn(
        { err: error },
        `cannot join the cluster registry of ${registry.root}: ${String(error)}`,
      )
    })
}
const why = await connection.closed()
if (why !== undefined)
  system.logger.debug({ err: why }, `the connection to the parent closed: ${why.message}`)
// Cut from the other nodes first: actors stopping now must not reconnect to the parent by TCP.
await remote.close()
await system.shutdown()
// No orphans: the child processes it started end with it, gracefully, then by force.
await endChildProcesses(CHILDREN_GRACE_MS)
process.exit(0)
