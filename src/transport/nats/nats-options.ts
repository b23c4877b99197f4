import { readFileSync } from 'node:fs'
import {
  type Authenticator,
  type ConnectionOptions,
  credsAuthenticator,
  type NatsConnection,
  type Status,
} from '@nats-io/nats-core'
import { connect } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import { NatsConnectError } from './errors.ts'

/** TLS to the NATS servers: each of `ca`, `cert`, `key` is a file path or the PEM contents. */
export interface NatsTlsOptions {
  /** The certificate authority the servers' certificates are checked against. */
  ca?: string
  /** This client's certificate, for servers that verify clients. */
  cert?: string
  /** The key of `cert`. */
  key?: string
}

/**
 * How a node (or any part of Troupe: the registry, services) reaches a NATS cluster. Give the
 * servers' URLs alone (`'nats://127.0.0.1:4222'`, or a list) when nothing else needs setting.
 */
export interface NatsOptions {
  /** The URLs of the servers: `nats://host:port`, `tls://host:port`, or `host:port`; one or a list. */
  servers: string | readonly string[]
  /**
   * The subject prefix of the cluster: every node's inbox is `<prefix>.node.<name>`, so clusters
   * with different prefixes share a NATS server without seeing each other; it names the cluster's
   * KV buckets too (`<prefix>-names`, `<prefix>-members`). 1 to 64 letters, digits, `-` and `_`.
   * @default 'troupe'
   */
  prefix?: string
  /** A token, for servers started with `--auth`. */
  token?: string
  /** A user name, with {@link NatsOptions.pass}, for servers started with `--user` and `--pass`. */
  user?: string
  /** The password of {@link NatsOptions.user}. */
  pass?: string
  /** A NATS credentials file (a user JWT and its nkey seed), for servers in operator mode. */
  credsFile?: string
  /** TLS to the servers. @default plain TCP (unless a URL says `tls://`) */
  tls?: NatsTlsOptions
  /**
   * How often the client pings its server. A server that stops answering (a dead host, a
   * blackholed route) is noticed after `pingIntervalMs * maxPingOut`, and the client moves to
   * another server: seconds, where the client's own default is two minutes.
   * @default 2000
   */
  pingIntervalMs?: number
  /** Pings without an answer after which the server is taken as lost. @default 2 */
  maxPingOut?: number
  /** Time between attempts to reach a server again after it was lost. @default 250 */
  reconnectTimeWaitMs?: number
  /** Attempts per server to reach it again before giving up; `-1` never gives up. @default -1 */
  maxReconnectAttempts?: number
  /** Time allowed to reach a server at start. @default 5000 */
  connectTimeoutMs?: number
  /**
   * For a node's transport: the most frames from one peer that may wait to be handled (this node
   * is behind); past it the connection is closed with a `SlowConsumerError` and a warning naming
   * the peer, rather than let memory grow, since NATS cannot slow a publisher down as TCP does.
   * @default 65536
   */
  maxPendingMessages?: number
  /**
   * For a node started on NATS: the replicas of the cluster's KV buckets of names and members (1,
   * 3 or 5, at most the number of servers). Buckets that exist already keep theirs.
   * @default 1
   */
  replicas?: 1 | 3 | 5
}

/** {@link NatsOptions} checked, with their defaults filled in. */
export interface ResolvedNatsOptions {
  readonly servers: readonly string[]
  readonly prefix: string
  readonly connection: ConnectionOptions
}

// It names the cluster's KV buckets too, whose names take no '.'.
const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** `servers` as a list, accepting the shorthand of a URL or a list of them. */
export function natsOptionsOf(options: NatsOptions | string | readonly string[]): NatsOptions {
  return typeof options === 'string' || Array.isArray(options)
    ? { servers: options as string | readonly string[] }
    : (options as NatsOptions)
}

/** Checks `options` (an `InvalidOptionError` naming the first bad one) and fills in the defaults. */
export function resolveNatsOptions(given: NatsOptions | string | readonly string[]): ResolvedNatsOptions {
  if (typeof given !== 'object' && typeof given !== 'string')
    throw new InvalidOptionError('nats', 'expected the URL of a NATS server, a list of them, or NATS options')
  const options = natsOptionsOf(given)
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionError('nats', 'expected the URL of a NATS server, a list of them, or NATS options')
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers
  if (!Array.isArray(servers) || servers.length === 0)
    throw new InvalidOptionError('nats.servers', 'expected one or more NATS server URLs')
  for (const server of servers) checkServerUrl(server)
  const prefix = options.prefix ?? 'troupe'
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix))
    throw new InvalidOptionError(
      'nats.prefix',
      `expected 1 to 64 letters, digits, '-' and '_', got ${JSON.stringify(prefix)}`,
    )
  const connection: ConnectionOptions = {
    servers: [...servers],
    pingInterval: integer('nats.pingIntervalMs', options.pingIntervalMs, 2000, 1),
    maxPingOut: integer('nats.maxPingOut', options.maxPingOut, 2, 1),
    reconnectTimeWait: integer('nats.reconnectTimeWaitMs', options.reconnectTimeWaitMs, 250, 0),
    maxReconnectAttempts: integer('nats.maxReconnectAttempts', options.maxReconnectAttempts, -1, -1),
    timeout: integer('nats.connectTimeoutMs', options.connectTimeoutMs, 5000, 1),
    // Many nodes start at once in tests and deployments: do not all pile on the first URL.
    noRandomize: false,
  }
  if (options.token !== undefined) connection.token = text('nats.token', options.token)
  if ((options.user === undefined) !== (options.pass === undefined))
    throw new InvalidOptionError('nats.user', 'give both user and pass, or neither')
  if (options.user !== undefined) {
    connection.user = text('nats.user', options.user)
    connection.pass = text('nats.pass', options.pass)
  }
  if (options.credsFile !== undefined) connection.authenticator = credsFrom(options.credsFile)
  if (options.tls !== undefined) connection.tls = tlsFrom(options.tls)
  return { servers, prefix, connection }
}

/** Whether every server is on this machine (127.0.0.0/8, ::1, localhost). */
export function serversAreLoopback(servers: readonly string[]): boolean {
  // The same rule as TCP's loopback check, which one transport may not import from another.
  return servers.every((server) => {
    const host = hostOf(server).toLowerCase()
    return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  })
}

function hostOf(server: string): string {
  const url = new URL(server.includes('://') ? server : `nats://${server}`)
  return url.hostname.replace(/^\[|\]$/g, '')
}

function checkServerUrl(server: unknown): void {
  if (typeof server !== 'string' || server.length === 0)
    throw new InvalidOptionError('nats.servers', `expected a NATS server URL, got ${JSON.stringify(server)}`)
  let url: URL
  try {
    url = new URL(server.includes('://') ? server : `nats://${server}`)
  } catch {
    throw new InvalidOptionError('nats.servers', `'${server}' is not a URL (expected nats://host:port)`)
  }
  if (!['nats:', 'tls:'].includes(url.protocol) || url.hostname === '')
    throw new InvalidOptionError('nats.servers', `'${server}' is not a NATS URL (expected nats://host:port)`)
}

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1)
    throw new InvalidOptionError(
      name,
      `expected an integer from ${min} to ${2 ** 31 - 1}, got ${String(value)}`,
    )
  return value
}

function text(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidOptionError(name, 'expected a non-empty string')
  return value
}

function credsFrom(file: unknown): Authenticator {
  const path = text('nats.credsFile', file)
  let creds: Uint8Array
  try {
    creds = readFileSync(path)
  } catch (error) {
    throw new InvalidOptionError('nats.credsFile', `cannot read ${path}: ${(error as Error).message}`)
  }
  return credsAuthenticator(creds)
}

/** A PEM's contents or the path of a file that holds one. */
function isPem(value: string): boolean {
  return value.includes('-----BEGIN')
}

function tlsFrom(tls: NatsTlsOptions): NonNullable<ConnectionOptions['tls']> {
  const out: NonNullable<ConnectionOptions['tls']> = {}
  for (const part of ['ca', 'cert', 'key'] as const) {
    const value = tls[part]
    if (value === undefined) continue
    text(`nats.tls.${part}`, value)
    if (isPem(value)) out[part] = value
    else out[`${part}File`] = value
  }
  return out
}

/**
 * Opens a NATS client as `options` say, and logs its status changes (disconnected, reconnected,
 * errors, slow consumers) on `logger` with the server's URL. Rejects with a
 * {@link NatsConnectError} that names the URLs and why (unreachable, authorization refused).
 * Whoever opens it closes it (`drain()` or `close()`).
 *
 * @example
 * ```ts
 * const nc = await connectNats({ servers: 'nats://127.0.0.1:4222' }, logger)
 * ```
 */
export async function connectNats(
  given: NatsOptions | string | readonly string[] | ResolvedNatsOptions,
  logger: Logger,
  name?: string,
): Promise<NatsConnection> {
  const resolved =
    'connection' in (given as object)
      ? (given as ResolvedNatsOptions)
      : resolveNatsOptions(given as NatsOptions)
  let nc: NatsConnection
  try {
    nc = await connect({ ...resolved.connection, ...(name === undefined ? {} : { name }) })
  } catch (error) {
    throw new NatsConnectError(resolved.servers, describeNatsError(error), { cause: error })
  }
  void logStatus(nc, logger)
  return nc
}

/** Why a NATS client failed, in words: `authorization violation`, `connection refused (ECONNREFUSED)`. */
export function describeNatsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED): is nats-server running there?'
  const message = error.message
  if (/authorization/i.test(message))
    return `${message}: the server refused this client's credentials (give token, user and pass, or credsFile)`
  if (/certificate/i.test(message))
    return `${message}: the server's certificate could not be checked (give nats.tls.ca, the authority that signed it)`
  if (/does not support 'tls'|server does not support tls/i.test(message))
    return `${message}: the server speaks plain TCP (drop nats.tls, or start it with --tls)`
  return message
}

async function logStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const status of nc.status() as AsyncIterable<Status>) {
    switch (status.type) {
      case 'disconnect':
        logger.warn({ server: status.server }, `disconnected from NATS server ${status.server}`)
        break
      case 'reconnect':
        logger.info({ server: status.server }, `reconnected to NATS server ${status.server}`)
        break
      case 'error':
        logger.warn(
          { err: status.error, server: nc.getServer() },
          `NATS error from ${nc.getServer()}: ${status.error.message}`,
        )
        break
      case 'staleConnection':
        logger.warn({ server: nc.getServer() }, `NATS server ${nc.getServer()} stopped answering pings`)
        break
      case 'ldm':
        logger.info({ server: status.server }, `NATS server ${status.server} is entering lame duck mode`)
        break
      default:
        break
    }
  }
}
