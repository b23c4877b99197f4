import { createServer } from 'node:net'
import {
  type ActorSystem,
  type ClusterOptions,
  InvalidOptionError,
  RegistryUnavailableError,
  start,
} from '../index.ts'
import { CommandFailedError, describeError, UsageError } from './cli-errors.ts'
import { cookieFrom, type LogLevel } from './options.ts'

/** How the CLI starts a node. */
export interface NodeSettings {
  /** `name@host:port`, or any name with `nats`; with `nats` and no name, a unique `node-<hex>`. */
  node?: string | undefined
  /** The NATS servers the node finds other nodes on (see `start({ nats })`), instead of TCP. */
  nats?: { servers: readonly string[]; prefix?: string } | undefined
  /** The file holding the cookie; by default the node takes `TROUPE_COOKIE` or `~/.troupe-cookie`. */
  cookieFile?: string | undefined
  /** `true`: this node hosts the cluster registry; `host:port`: it joins the root node's registry. */
  registry?: string | true | undefined
  logLevel: LogLevel
  /** Whether the node takes stops, links, spawns and calls only from its parent. @default false */
  untrusted?: ClusterOptions['untrusted']
}

/**
 * Starts a networked node for a command. A bad option is a {@link UsageError}; a node that cannot
 * start (its port is taken, say) a {@link CommandFailedError}.
 */
export async function startNode(settings: NodeSettings): Promise<ActorSystem> {
  const cookie = cookieFrom(settings.cookieFile)
  const options: ClusterOptions = {
    ...(settings.node === undefined ? {} : { node: settings.node }),
    logLevel: settings.logLevel,
    ...(cookie === undefined ? {} : { cookie }),
    ...(settings.registry === undefined ? {} : { registry: settings.registry }),
    ...(settings.nats === undefined ? {} : { nats: settings.nats }),
    ...(settings.untrusted === undefined ? {} : { untrusted: settings.untrusted }),
  }
  try {
    return await start(options)
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new UsageError(describeError(error), { cause: error })
    if (error instanceof RegistryUnavailableError)
      throw new CommandFailedError(describeError(error), { cause: error })
    const node = settings.node === undefined ? 'a node' : `node ${settings.node}`
    throw new CommandFailedError(`cannot start ${node}: ${describeError(error)}`, {
      cause: error,
    })
  }
}

/**
 * Starts a short-lived node for a client command (`send`, `ps`, `request`) on a free port of
 * 127.0.0.1, named `<role>-<pid>@127.0.0.1:<port>`; with `nats`, a member of the NATS cluster with
 * a unique plain name (it listens on no port).
 */
export async function startClientNode(
  role: string,
  settings: Omit<NodeSettings, 'node'>,
): Promise<ActorSystem> {
  if (settings.nats !== undefined) return await startNode(settings)
  for (let attempt = 1; ; attempt++) {
    const node = `${role}-${process.pid}@127.0.0.1:${await freePort()}`
    try {
      return await startNode({ ...settings, node })
    } catch (error) {
      // Another process took the port between our probe and our listen: take another one.
      const code = (error as { cause?: { code?: unknown } }).cause?.code
      if (code !== 'EADDRINUSE' || attempt >= 3) throw error
    }
  }
}

/**
 * Stops every actor of the node and closes its connections; a node that does not finish within
 * `timeoutMs` is a {@link CommandFailedError}.
 */
export async function stopNode(system: ActorSystem, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CommandFailedError(`node ${system.node} did not shut down within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  try {
    await Promise.race([system.shutdown(), late])
  } finally {
    clearTimeout(timer)
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new CommandFailedError('found no free port on 127.0.0.1')),
      )
    })
  })
}
