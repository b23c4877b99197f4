import type { ActorSystem } from '../core/system.ts'
import type { NodeEndpoint } from '../remote/node/address.ts'
import { resolveCookie } from '../remote/node/cookie.ts'
import type { RemoteNode } from '../remote/node/remote-node.ts'
import { type StrangerLimits, strangerLimitsOf } from '../transport/stranger-limits.ts'
import { isLoopbackHost } from '../transport/tcp/address.ts'
import type { NodeOptions } from './start-options.ts'
import { chosenTransport, findsNodesByName, type NodeTransport, openChosenTransport } from './transports.ts'

/** The options of `keys` that are set, to spread into settings that take no `undefined`. */
function pick<T extends object, K extends keyof T>(options: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {}
  for (const key of keys) if (options[key] !== undefined) out[key] = options[key]
  return out
}

/** A node's transport, and the cookie its connections prove (none on the in-process network). */
export interface OpenedTransport extends NodeTransport {
  readonly cookie: string | undefined
}

/**
 * The transport a node talks to other nodes over, as its options choose (see `transportChoices`):
 * TCP (TLS when given) at `listenAt` unless they choose another, which finds nodes by name and
 * needs no `listenAt`. Every connection it accepts goes to `remote`.
 */
export async function openNodeTransport(
  system: ActorSystem,
  remote: RemoteNode,
  listenAt: NodeEndpoint | undefined,
  options: Pick<
    NodeOptions,
    | 'network'
    | 'nats'
    | 'cookie'
    | 'maxFrameBytes'
    | 'handshakeTimeoutMs'
    | 'tls'
    | 'frameAuth'
    | 'helloTimeoutMs'
    | 'maxQueuedBytes'
  > &
    StrangerLimits,
): Promise<OpenedTransport> {
  // The in-process network proves no cookie: it has none to resolve (nor a file to read).
  const cookie = chosenTransport(options) === 'network' ? undefined : resolveCookie(options.cookie)
  if (listenAt === undefined && !findsNodesByName(options))
    throw new Error('a node on TCP needs an endpoint to listen at')
  const opened = await openChosenTransport(options, {
    node: system.node,
    incarnation: remote.incarnation,
    cookie: cookie ?? 'in-process',
    logger: system.logger,
    ...(listenAt === undefined ? {} : { listen: { host: listenAt.host, port: listenAt.port } }),
    ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
    ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
    ...strangerLimitsOf(options),
    ...pick(options, 'frameAuth', 'helloTimeoutMs', 'maxQueuedBytes'),
  })
  const transport = opened.transport
  if (
    listenAt !== undefined &&
    chosenTransport(options) === 'tcp' &&
    !isLoopbackHost(listenAt.host) &&
    options.tls === undefined
  ) {
    if (options.frameAuth === false)
      system.logger.warn(
        { node: system.node, host: listenAt.host },
        `node ${system.node} listens beyond loopback (${listenAt.host}) with neither frame authentication nor TLS: a relay on the path could inject, replay or drop frames after the handshake; leave frameAuth on or give tls`,
      )
  }
  transport.onConnection((connection) => void remote.adopt(connection, false))
  return { ...opened, cookie }
}
