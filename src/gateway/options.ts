import type { FastifyPluginAsync } from 'fastify'
import { type AnyBehavior, InvalidOptionError } from '../index.ts'
import { checkToken } from './security/token.ts'

/**
 * An actor type the gateway may spawn (`PUT /actors/:name` with `{ type }`): a definition, and
 * optionally a check of the `args` it is given (its props).
 */
export interface ExposedType {
  /** What `system.spawn` starts, with the request's `args` as its props. */
  behavior: AnyBehavior
  /**
   * Checks a request's `args` before the spawn: returns what is wrong with them (the gateway
   * answers 422 with it), or `undefined` when they are good.
   */
  checkArgs?: (args: unknown) => string | undefined
}

/**
 * A fastify plugin that the gateway registers inside its authenticated scope: every route it adds
 * needs the token (the bearer header or the `troupe_token` cookie), as the gateway's own do.
 */
export type GatewayPlugin = FastifyPluginAsync

/** Cross-origin access, off unless given. */
export interface GatewayCorsOptions {
  /** The origins (`https://app.example.com`) allowed to call the gateway from a browser. */
  origins: readonly string[]
}

/** Options of {@link startGateway}. Each limit is named here, with its default. */
export interface GatewayOptions {
  /** The TCP port; 0 picks a free one. @default 8080 */
  port?: number
  /** The address to listen on. Anything but loopback exposes the gateway to the network. @default '127.0.0.1' */
  host?: string
  /** The bearer token. Without it (and without `tokenFile`) one is generated at each start. */
  token?: string
  /** A file holding the token: read when it exists, else created (mode 0600) with a new token. */
  tokenFile?: string
  /** The actor types `PUT /actors/:name` may spawn, by name; nothing else is spawnable. @default {} */
  types?: Readonly<Record<string, ExposedType | AnyBehavior>>
  /** The largest request body, in bytes; a larger one gets 413. @default 1048576 (1 MiB) */
  maxBodyBytes?: number
  /** The deepest nesting of objects and arrays a body may have; a deeper one gets 400. @default 32 */
  maxDepth?: number
  /** More `Host` headers to answer (`name:port`), beyond loopback and `host`. @default [] */
  allowedHosts?: readonly string[]
  /** Cross-origin access; without it, the gateway sends no CORS headers. */
  cors?: GatewayCorsOptions
  /** How long an ask (`POST ?ask=1`), a snapshot or a kill waits, unless the request says. @default 5000 */
  askTimeoutMs?: number
  /** The longest `?timeout=` a request may ask for. @default 60000 */
  maxAskTimeoutMs?: number
  /** The most actors one `GET /actors` page holds (its `?limit=`). @default 1000 */
  maxPageSize?: number
  /**
   * The dashboard at `GET /` and `/dashboard/*`: `true` for Troupe's live dashboard of the
   * system, `false` for a page that lists the REST API instead, or a plugin of your own.
   * @default true
   */
  dashboard?: boolean | GatewayPlugin
  /** More routes, registered inside the authenticated scope. @default [] */
  plugins?: readonly GatewayPlugin[]
  /**
   * Told the dashboard's URL, with the token in it, when the token was generated (no `token`, or
   * a `tokenFile` just created). @default a line on standard output
   */
  announce?: (dashboardUrl: string) => void
}

/** The options with every default filled in and every value checked. */
export interface ResolvedGatewayOptions {
  port: number
  host: string
  token: string | undefined
  tokenFile: string | undefined
  types: ReadonlyMap<string, ExposedType>
  maxBodyBytes: number
  maxDepth: number
  allowedHosts: readonly string[]
  corsOrigins: ReadonlySet<string>
  askTimeoutMs: number
  maxAskTimeoutMs: number
  maxPageSize: number
  dashboard: boolean | GatewayPlugin
  plugins: readonly GatewayPlugin[]
  announce: (dashboardUrl: string) => void
}

/** The pattern of an actor or type name in a path (a subset of what `spawn` takes, safe in URLs). */
export const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$'
/** The longest actor or type name the gateway takes. */
export const MAX_NAME_LENGTH = 128

function positiveInteger(value: unknown, option: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new InvalidOptionError(option, `expected an integer >= ${min}, got ${String(value)}`)
  return value
}

function portOf(value: unknown): number {
  const port = positiveInteger(value, 'port', 8080, 0)
  if (port > 65535) throw new InvalidOptionError('port', `expected a port from 0 to 65535, got ${port}`)
  return port
}

function isExposedType(value: unknown): value is ExposedType {
  return typeof value === 'object' && value !== null && 'behavior' in value
}

function typesOf(types: GatewayOptions['types']): Map<string, ExposedType> {
  const map = new Map<string, ExposedType>()
  if (types === undefined) return map
  if (typeof types !== 'object' || types === null)
    throw new InvalidOptionError('types', 'expected an object of actor types by name')
  const pattern = new RegExp(NAME_PATTERN)
  for (const [name, entry] of Object.entries(types)) {
    if (!pattern.test(name) || name.length > MAX_NAME_LENGTH)
      throw new InvalidOptionError(`types.${name}`, `a type name must match ${NAME_PATTERN}`)
    const exposed: ExposedType = isExposedType(entry) ? entry : { behavior: entry }
    if (exposed.checkArgs !== undefined && typeof exposed.checkArgs !== 'function')
      throw new InvalidOptionError(`types.${name}.checkArgs`, 'expected a function')
    map.set(name, exposed)
  }
  return map
}

function stringList(value: unknown, option: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0))
    throw new InvalidOptionError(option, 'expected an array of non-empty strings')
  return value
}

function pluginsOf(value: unknown): GatewayPlugin[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'function'))
    throw new InvalidOptionError('plugins', 'expected an array of fastify plugins (async functions)')
  return value
}

/** Checks `options` and fills in the defaults; throws `InvalidOptionError` naming a bad one. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  const host = options.host ?? '127.0.0.1'
  if (typeof host !== 'string' || host.length === 0 || /[\s/]/.test(host))
    throw new InvalidOptionError('host', `expected an address or host name, got ${String(host)}`)
  if (options.token !== undefined && options.tokenFile !== undefined)
    throw new InvalidOptionError('token', 'give token or tokenFile, not both')
  if (options.tokenFile !== undefined && (typeof options.tokenFile !== 'string' || options.tokenFile === ''))
    throw new InvalidOptionError('tokenFile', 'expected a path')
  if (
    options.dashboard !== undefined &&
    typeof options.dashboard !== 'function' &&
    typeof options.dashboard !== 'boolean'
  )
    throw new InvalidOptionError('dashboard', 'expected true, false or a fastify plugin (an async function)')
  if (options.announce !== undefined && typeof options.announce !== 'function')
    throw new InvalidOptionError('announce', 'expected a function')
  const cors = options.cors
  if (cors !== undefined && (typeof cors !== 'object' || cors === null))
    throw new InvalidOptionError('cors', 'expected { origins: [...] }')
  return {
    port: portOf(options.port),
    host,
    token: options.token === undefined ? undefined : checkToken(options.token, 'token'),
    tokenFile: options.tokenFile,
    types: typesOf(options.types),
    maxBodyBytes: positiveInteger(options.maxBodyBytes, 'maxBodyBytes', 1024 * 1024),
    maxDepth: positiveInteger(options.maxDepth, 'maxDepth', 32),
    allowedHosts: stringList(options.allowedHosts, 'allowedHosts'),
    corsOrigins: new Set(stringList(cors?.origins, 'cors.origins')),
    askTimeoutMs: positiveInteger(options.askTimeoutMs, 'askTimeoutMs', 5000),
    maxAskTimeoutMs: positiveInteger(options.maxAskTimeoutMs, 'maxAskTimeoutMs', 60_000),
    maxPageSize: positiveInteger(options.maxPageSize, 'maxPageSize', 1000),
    dashboard: options.dashboard ?? true,
    plugins: pluginsOf(options.plugins),
    announce: options.announce ?? ((url) => process.stdout.write(`Troupe gateway: ${url}\n`)),
  }
}
