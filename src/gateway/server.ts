import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { ActorSystem } from '../index.ts'
import { dashboardPlugin } from './dashboard/index.ts'
import { errorHandler, sendProblem } from './error-handler.ts'
import {
  type GatewayOptions,
  MAX_NAME_LENGTH,
  type ResolvedGatewayOptions,
  resolveGatewayOptions,
} from './options.ts'
import { actorRoutes } from './routes/actors.ts'
import { dashboardPlaceholder } from './routes/dashboard-placeholder.ts'
import { nodeRoutes } from './routes/nodes.ts'
import { authenticator } from './security/auth.ts'
import { allowedHostsOf, hostPort, ownOriginsOf } from './security/host-origin.ts'
import { jsonDeeperThan } from './security/json-depth.ts'
import { HttpProblem } from './security/problem.ts'
import { type GuardLists, requestGuard } from './security/request-guard.ts'
import { generateToken, readOrCreateTokenFile } from './security/token.ts'

/** A running gateway. */
export interface Gateway {
  /** Where it listens: `http://127.0.0.1:8080`. */
  readonly url: string
  /** The dashboard's URL with the token in it (`…/?token=…`): opening it logs a browser in. */
  readonly dashboardUrl: string
  /** The bearer token every route but `/health` needs. */
  readonly token: string
  /** The port it listens on. */
  readonly port: number
  /** Stops listening; resolves once the server has closed. The system keeps running. */
  close(): Promise<void>
}

/** Whether `text` is JSON that only the prototype-poisoning check refuses. */
function isPlainJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

const forbiddenKey = () =>
  new HttpProblem(
    400,
    'forbidden-key',
    'Forbidden key in the body',
    'the body has a __proto__ or constructor.prototype key, which the gateway refuses (prototype poisoning): rename the key',
  )

function tokenOf(options: ResolvedGatewayOptions): { token: string; generated: boolean } {
  if (options.token !== undefined) return { token: options.token, generated: false }
  if (options.tokenFile !== undefined) {
    const { token, created } = readOrCreateTokenFile(options.tokenFile)
    return { token, generated: created }
  }
  return { token: generateToken(), generated: true }
}

function buildApp(
  system: ActorSystem,
  options: ResolvedGatewayOptions,
  token: string,
  lists: () => GuardLists,
): FastifyInstance {
  const app = Fastify({
    logger: false,
    // close() ends idle keep-alive connections too (a browser holds some open), not only the
    // dashboard's streams, which end with the server.
    forceCloseConnections: true,
    bodyLimit: options.maxBodyBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Long enough for a percent-encoded name of MAX_NAME_LENGTH, so that a longer one gets the
    // schema's 400 that says so, not fastify's bare 414.
    routerOptions: { maxParamLength: 3 * MAX_NAME_LENGTH },
    // Extra fields are refused, not dropped (additionalProperties: false).
    ajv: { customOptions: { removeAdditional: false, allowUnionTypes: true } },
  })
  app.setErrorHandler(errorHandler(system.logger, options.maxBodyBytes))
  app.setNotFoundHandler((request: FastifyRequest, reply) =>
    sendProblem(
      reply,
      request,
      new HttpProblem(
        404,
        'not-found',
        'No such route',
        `nothing is served at ${request.method} ${request.url.split('?')[0]}: the routes are /actors, /actors/:name, /nodes and /health`,
      ),
    ),
  )
  const parseJson = app.getDefaultJsonParser('error', 'error')
  // JSON only: text/plain is a type a browser sends across origins without asking first.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // Checked on the text, before anything is built from it.
    if (jsonDeeperThan(body as string, options.maxDepth)) {
      done(
        new HttpProblem(
          400,
          'too-deep',
          'Body nested too deep',
          `the body nests objects and arrays deeper than ${options.maxDepth} (maxDepth): flatten it, or start the gateway with a larger maxDepth`,
        ),
        undefined,
      )
      return
    }
    const text = body as string
    if (text === '' && (request.method === 'DELETE' || request.method === 'GET')) {
      done(null, undefined)
      return
    }
    parseJson(request, text, (error, value) => {
      if (error === null) done(null, value)
      else done(isPlainJson(text) ? forbiddenKey() : error, undefined)
    })
  })
  app.addHook('onRequest', requestGuard(lists))
  app.get('/health', async () => ({ status: 'ok', node: system.node }))
  app.register(async (scope) => {
    scope.addHook('onRequest', authenticator(token, system.logger))
    await scope.register(actorRoutes(system, options))
    await scope.register(nodeRoutes(system))
    const { dashboard } = options
    await scope.register(
      dashboard === true ? dashboardPlugin(system) : dashboard === false ? dashboardPlaceholder : dashboard,
    )
    for (const plugin of options.plugins) await scope.register(plugin)
  })
  return app
}

/**
 * Starts the REST gateway of `system`: actors by name on any node of its cluster, over HTTP.
 * Secure by default: it listens on 127.0.0.1, every route but `/health` needs the bearer token
 * (generated when not given, and announced once in the dashboard's URL), it answers only its own
 * `Host` names, refuses changes from other origins, sends no CORS headers unless configured, and
 * bounds every body (`maxBodyBytes`, `maxDepth`). Errors are RFC 9457 problem responses.
 *
 * @example
 * ```ts
 * const gateway = await startGateway(system, { port: 8080, types: { counter: Counter } })
 * await fetch(`${gateway.url}/actors/c1`, {
 *   method: 'PUT',
 *   headers: { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' },
 *   body: JSON.stringify({ type: 'counter' }),
 * })
 * await gateway.close()
 * ```
 */
export async function startGateway(system: ActorSystem, options: GatewayOptions = {}): Promise<Gateway> {
  const resolved = resolveGatewayOptions(options)
  const { token, generated } = tokenOf(resolved)
  let lists: GuardLists = { hosts: new Set(), origins: new Set(), corsOrigins: resolved.corsOrigins }
  const app = buildApp(system, resolved, token, () => lists)
  await app.listen({ port: resolved.port, host: resolved.host })
  const port = (app.server.address() as AddressInfo).port
  const hosts = allowedHostsOf(resolved.host, port, resolved.allowedHosts)
  lists = {
    hosts,
    origins: new Set([...ownOriginsOf(hosts), ...resolved.corsOrigins]),
    corsOrigins: resolved.corsOrigins,
  }
  const wildcard = resolved.host === '0.0.0.0' || resolved.host === '::'
  const url = `http://${hostPort(wildcard ? '127.0.0.1' : resolved.host, port)}`
  const dashboardUrl = `${url}/?token=${encodeURIComponent(token)}`
  if (generated) resolved.announce(dashboardUrl)
  return { url, dashboardUrl, token, port, close: () => app.close() }
}
