import { type Command, InvalidArgumentError, Option } from 'commander'
import type { LogFormat } from '../index.ts'
import { DEFAULT_REGISTRY_PORT, endpointOf, parseAddress, readCookieFile } from '../internal.ts'
import { UsageError } from './cli-errors.ts'

/** The default address of the cluster registry: the root node's port on this machine. */
export const DEFAULT_REGISTRY = `127.0.0.1:${DEFAULT_REGISTRY_PORT}`

/** The default root node of `troupe registry`. */
export const DEFAULT_ROOT_NODE = `root@${DEFAULT_REGISTRY}`

const actorName = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/
const hostPort = /^([^@:/\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/
const propKey = /^[A-Za-z_$][\w$]*$/

/** `--node`: a node name `name@host:port`. */
export function parseNodeName(value: string): string {
  if (endpointOf(value) === undefined)
    throw new InvalidArgumentError('expected name@host:port, such as app@127.0.0.1:9700.')
  return value
}

/**
 * `--node` of a command that takes `--nats`: `name@host:port`, or a plain name (checked against
 * `--nats` by {@link checkNodeForNats}, since a parser sees one option alone).
 */
export function parseAnyNodeName(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (value.length === 0 || Buffer.byteLength(value) > 255 || /[\u0000-\u001f\u007f]/.test(value))
    throw new InvalidArgumentError(
      'expected name@host:port, such as app@127.0.0.1:9700 (or a plain name with --nats).',
    )
  return value
}

/** A plain `--node` name needs `--nats`: over TCP a node listens where its name says. */
export function checkNodeForNats(
  node: string,
  nats: readonly string[] | undefined,
  natsPrefix?: string,
): void {
  if (nats === undefined && endpointOf(node) === undefined)
    throw new UsageError(
      `option '--node <name@host:port>' argument '${node}' is invalid. expected name@host:port, such as app@127.0.0.1:9700 (a plain name only with --nats).`,
    )
  if (nats === undefined && natsPrefix !== undefined)
    throw new UsageError('--nats-prefix names the subject prefix of a NATS cluster: give --nats too')
}

/** `--nats`: the URLs of NATS servers, comma-separated: `nats://host:port[,nats://host:port…]`. */
export function parseNatsServers(value: string): string[] {
  const servers = value
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server.length > 0)
  if (servers.length === 0) throw new InvalidArgumentError('expected nats://host:port[,nats://host:port…].')
  for (const server of servers) {
    let url: URL | undefined
    try {
      url = new URL(server.includes('://') ? server : `nats://${server}`)
    } catch {
      url = undefined
    }
    if (url === undefined || !['nats:', 'tls:'].includes(url.protocol) || url.hostname === '')
      throw new InvalidArgumentError(
        `'${server}' is not a NATS URL: expected nats://host:port[,nats://host:port…].`,
      )
  }
  return servers
}

/** `--nats-prefix`: subject tokens of letters, digits, `-` and `_` joined by `.`. */
export function parseNatsPrefix(value: string): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(value))
    throw new InvalidArgumentError(
      "expected letters, digits, '-' and '_', with '.' between tokens, such as troupe.",
    )
  return value
}

/** The `nats` setting of a node started with `--nats` (and `--nats-prefix`), or `undefined`. */
export function natsSettingsOf(options: {
  nats?: string[]
  natsPrefix?: string
}): { servers: string[]; prefix?: string } | undefined {
  if (options.nats === undefined) return undefined
  return {
    servers: options.nats,
    ...(options.natsPrefix === undefined ? {} : { prefix: options.natsPrefix }),
  }
}

/**
 * A client node finds names in one place: `--nats` and `--registry` together are a
 * {@link UsageError}, and so is `--nats-prefix` without `--nats`.
 */
export function checkClientNats(options: { nats?: string[]; natsPrefix?: string; registry?: string }): void {
  if (options.nats !== undefined && options.registry !== undefined)
    throw new UsageError(
      '--nats and --registry are two ways to find names: give one (a node on NATS finds names in its NATS cluster)',
    )
  if (options.nats === undefined && options.natsPrefix !== undefined)
    throw new UsageError('--nats-prefix names the subject prefix of a NATS cluster: give --nats too')
}

/** `--nats` of a client command: its short-lived node joins the NATS cluster of these servers. */
export function natsOption(): Option {
  return new Option(
    '--nats <url[,url...]>',
    'start the short-lived node on the NATS servers at these URLs (nats://host:port): names are found in their NATS cluster',
  ).argParser(parseNatsServers)
}

/** `--registry` of a command that runs a node: the node joins the cluster registry there. */
export function joinRegistryOption(): Option {
  return new Option(
    '--registry <host:port>',
    'join the cluster registry of the root node listening there',
  ).argParser(parseRegistry)
}

/** `--nats` of a command that runs a node: the node talks to other nodes over NATS, not TCP. */
export function nodeNatsOption(): Option {
  return new Option(
    '--nats <url[,url...]>',
    'talk to other nodes over the NATS servers at these URLs (nats://host:port), instead of TCP',
  ).argParser(parseNatsServers)
}

/** `--nats-prefix` of a client command. */
export function natsPrefixOption(): Option {
  return new Option(
    '--nats-prefix <prefix>',
    "with --nats: the cluster's subject prefix (default: troupe)",
  ).argParser(parseNatsPrefix)
}

/** `--registry`: where the root node listens, `host:port` (or its name, `name@host:port`). */
export function parseRegistry(value: string): string {
  if (endpointOf(value) !== undefined) return value
  const match = hostPort.exec(value)
  const port = match === null ? 0 : Number(match[2])
  if (port < 1 || port > 65535)
    throw new InvalidArgumentError('expected host:port or name@host:port, such as 127.0.0.1:1616.')
  return value
}

/** `--name`: an actor name (letters, digits and `_ . : @ -`). */
export function parseActorName(value: string): string {
  if (!actorName.test(value) || value.length > 200)
    throw new InvalidArgumentError('expected letters, digits and _ . : @ - (not starting with a symbol).')
  return value
}

/** `--timeout`: a whole number of milliseconds > 0. */
export function parseMilliseconds(value: string): number {
  const ms = Number(value)
  if (!/^\d+$/.test(value) || !(ms > 0)) throw new InvalidArgumentError('expected milliseconds > 0.')
  return ms
}

/** Where an actor is: a full address, or a name the cluster registry knows. */
export type ActorLocator = { kind: 'address'; address: string } | { kind: 'name'; name: string }

/** An address `troupe://node/path`, or a bare actor name for the registry to find. */
export function parseLocator(value: string): ActorLocator {
  if (value.startsWith('troupe://')) {
    try {
      parseAddress(value)
    } catch {
      throw new InvalidArgumentError('expected troupe://<node>/<path> or an actor name.')
    }
    return { kind: 'address', address: value }
  }
  if (!actorName.test(value))
    throw new InvalidArgumentError('expected troupe://<node>/<path> or an actor name.')
  return { kind: 'name', name: value }
}

/** One `--using key=ADDRESS`: the actor at ADDRESS is given as `props[key]`. */
export interface Using {
  key: string
  locator: ActorLocator
}

/** `--using key=ADDRESS`, repeatable: collects every occurrence. */
export function collectUsing(value: string, previous: Using[] | undefined = []): Using[] {
  const eq = value.indexOf('=')
  const key = eq < 0 ? '' : value.slice(0, eq)
  if (!propKey.test(key))
    throw new InvalidArgumentError(
      'expected key=ADDRESS, such as other=troupe://b@127.0.0.1:9701/user/other.',
    )
  if (previous.some((using) => using.key === key)) throw new InvalidArgumentError(`${key} is given twice.`)
  return [...previous, { key, locator: parseLocator(value.slice(eq + 1)) }]
}

/** One `--allow module#function`: a function the module exposes, by the module's path and the function's name. */
export interface AllowedCall {
  module: string
  name: string
}

/** `--allow module#function`, repeatable (or comma-separated): collects every occurrence. */
export function collectAllow(value: string, previous: AllowedCall[] | undefined = []): AllowedCall[] {
  const calls = [...previous]
  for (const spec of value.split(',')) {
    const hash = spec.lastIndexOf('#')
    const name = hash < 0 ? '' : spec.slice(hash + 1)
    if (hash < 1 || !propKey.test(name))
      throw new InvalidArgumentError('expected module#function, such as src/lines.ts#hi.')
    calls.push({ module: spec.slice(0, hash), name })
  }
  return calls
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A level of the node's logs. */
export type LogLevel = (typeof logLevels)[number]

/** `--log-level`: one of pino's levels, or `silent`. */
export function parseLogLevel(value: string): LogLevel {
  const level = logLevels.find((known) => known === value)
  if (level === undefined) throw new InvalidArgumentError(`expected one of ${logLevels.join(', ')}.`)
  return level
}

/** The level of the node's logs: `--log-level`, else `TROUPE_LOG_LEVEL`, else `fallback`. */
export function logLevelOf(given: LogLevel | undefined, fallback: LogLevel): LogLevel {
  if (given !== undefined) return given
  const fromEnv = process.env.TROUPE_LOG_LEVEL
  return logLevels.find((known) => known === fromEnv) ?? fallback
}

/**
 * The cookie of `--cookie-file`, or `undefined` to let the node take `TROUPE_COOKIE` or
 * `~/.troupe-cookie`. A file that cannot be read is a bad argument.
 */
export function cookieFrom(file: string | undefined): string | undefined {
  if (file === undefined) return undefined
  try {
    return readCookieFile(file)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new UsageError(`--cookie-file ${file}: ${reason}`)
  }
}

const logFormats = ['pretty', 'json'] as const satisfies readonly LogFormat[]

/** `--log-format`: `pretty` or `json`. */
export function parseLogFormat(value: string): LogFormat {
  const format = logFormats.find((known) => known === value)
  if (format === undefined) throw new InvalidArgumentError(`expected one of ${logFormats.join(', ')}.`)
  return format
}

/**
 * Adds the options every command that starts a node shares: `--cookie-file`, `--log-level` and
 * `--log-format`.
 */
export function withNodeOptions(command: Command, defaultLevel: LogLevel): Command {
  return command
    .option(
      '--cookie-file <file>',
      'read the cluster cookie from this file (default: $TROUPE_COOKIE or ~/.troupe-cookie)',
    )
    .option(
      '--log-level <level>',
      `fatal, error, warn, info, debug, trace or silent (default: $TROUPE_LOG_LEVEL or ${defaultLevel})`,
      parseLogLevel,
    )
    .option(
      '--log-format <format>',
      'pretty (readable lines) or json (default: $TROUPE_LOG_FORMAT, else pretty on a terminal, else json)',
      parseLogFormat,
    )
    .hook('preAction', (_command, action) => {
      // The process's TROUPE_LOG_FORMAT, so that the node the command starts and every child
      // process that node starts write their lines alike.
      const format = (action.opts() as { logFormat?: LogFormat }).logFormat
      if (format !== undefined) process.env.TROUPE_LOG_FORMAT = format
    })
}
