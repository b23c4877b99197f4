// The entry of a child node started by `startChildNode`, in a worker thread or a child process:
// loads the modules it was given and exposes their actor definitions (a module that calls
// expose(import.meta.url, { … }) registers its functions for portals as it loads), starts a system under the
// node name the parent chose, connects to the parent and takes the connection into its remote
// layer. When the connection closes, it shuts the system down and exits.
import { isMainThread, workerData } from 'node:worker_threads'
import { start } from '../core/system.ts'
import { connectParent as connectProcessParent } from '../transport/process/index.ts'
import { connectParent as connectThreadParent } from '../transport/thread/index.ts'
import type { Connection } from '../transport/transport.ts'
import {
  type ChildBoot,
  exposeModules,
  FUNCTION_HOST,
  FunctionHost,
  MODULE_LOADER,
  ModuleLoader,
  setChildData,
  type ThreadChildData,
} from './child-node.ts'
import { attachRemoteNode } from './start-node.ts'

const levels = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

function bootOf(): ChildBoot {
  if (!isMainThread) return ((workerData as { data: ThreadChildData }).data as ThreadChildData).boot
  return JSON.parse(process.argv[2] ?? '{}') as ChildBoot
}

const boot = bootOf()
const logLevel = levels.has(boot.logLevel ?? '') ? (boot.logLevel as 'info') : undefined
const system = await start({ node: boot.node, ...(logLevel === undefined ? {} : { logLevel }) })
// A module that fails to load ends the child before it says hello: the parent's start rejects.
await exposeModules(system, boot.modules)
// A pooled child starts with no modules: its parent has it load them when it is taken.
system.expose({ [MODULE_LOADER]: ModuleLoader, [FUNCTION_HOST]: FunctionHost })

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
const remote = attachRemoteNode(system)
remote.adopt(connection, false)
const why = await connection.closed()
if (why !== undefined)
  system.logger.debug({ err: why }, `the connection to the parent closed: ${why.message}`)
await system.shutdown()
process.exit(0)
