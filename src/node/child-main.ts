// The entry of a child node started by `startChildNode`, in a worker thread or a child process:
// loads the modules it was given and exposes their actor definitions (a module that calls
// expose(import.meta.url, { … }) registers its functions for portals as it loads), starts a system under the
// node name the parent chose, connects to the parent and takes the connection into its remote
// layer. When the connection closes, it shuts the system down and exits.
import { isMainThread } from 'node:worker_threads'
import { isLogFormat } from '../core/log-format.ts'
import type { ActorSystem } from '../core/system.ts'
import { ignoreRefusedStarts, markChildNode } from '../remote/children/child-module-loading.ts'
import {
  type ChildBoot,
  exposeModules,
  FUNCTION_HOST,
  FunctionHost,
  MODULE_LOADER,
  ModuleLoader,
  setChildData,
} from '../remote/children/child-node.ts'
import type { NodeEndpoint } from '../remote/node/address.ts'
import { remoteNodeOf } from '../remote/node/remote-node-of.ts'
import { setParentNode } from '../remote/portal/current-actor.ts'
import { endChildProcesses } from '../transport/process/index.ts'
import type { Connection } from '../transport/transport.ts'
import { startNode } from './start.ts'
import { childTransports } from './transports.ts'

type JoinRegistry = (
  system: ActorSystem,
  root: string,
  endpoint: NodeEndpoint,
  parent: string,
) => Promise<void>

/** How long the child processes of a child that ends have to exit by themselves before they are killed. */
const CHILDREN_GRACE_MS = 1_000

const levels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

// A child process's main thread, else a worker thread.
const parentSide = childTransports[isMainThread ? 'process' : 'thread'].parent
const given = parentSide.boot()
const boot = given.boot as ChildBoot
const logLevel = levels.has(boot.logLevel ?? '') ? (boot.logLevel as 'info') : undefined
const logFormat = isLogFormat(boot.logFormat) ? boot.logFormat : undefined
// The one start every node goes through, told that this node is a child: its parent's cluster comes from its boot.
const system = await startNode(
  {
    node: boot.node,
    ...boot.liveness,
    untrusted: boot.untrusted,
    ...boot.codec,
    ...(logLevel === undefined ? {} : { logLevel }),
    ...(logFormat === undefined ? {} : { logFormat }),
  },
  {
    network: boot.network,
    cookie: given.cookie,
  },
)
const remote = remoteNodeOf(system)!
const network = boot.network
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

const parent = await parentSide.connect(boot.node)
setChildData(parent.data)
const connection = await new Promise<Connection>((resolve) => parent.link.onConnection(resolve))
// The one node an untrusted child takes every request from, before the first of them arrives.
remote.trust.parent = connection.peer.node
remote.adopt(connection, false)
setParentNode(connection.peer.node)
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
