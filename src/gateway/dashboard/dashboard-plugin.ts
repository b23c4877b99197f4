import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
import { type ActorSystem, InvalidOptionError } from '../../index.ts'
import { stateOf } from './actor-state.ts'
import { type ActorOrder, ActorTable, ROOT_PATH } from './actor-table.ts'
import { DeadLetterRing } from './dead-letter-ring.ts'
import { LiveFeed, membersOf } from './live-feed.ts'
import { dashboardNodeRoutes } from './node-routes.ts'
import { settleWithin } from './settle-within.ts'
import { loadAssets } from './static-assets.ts'

/** Options of {@link dashboardPlugin}. */
export interface DashboardOptions {
  /**
   * Milliseconds between two `delta` events on the live stream (a delta is sent only when
   * something changed); the page is at most this much behind.
   * @default 500
   */
  intervalMs?: number
  /** How many actors each top list holds. @default 10 */
  topCount?: number
  /** How many recent dead letters are kept (only while a viewer watches). @default 100 */
  deadLetterCapacity?: number
  /** The most rows one page of a list may ask for. @default 500 */
  maxPageSize?: number
  /**
   * Where the page is served, for a server that has another use for `/`; its script, style and
   * API stay under `/dashboard/`.
   * @default '/'
   */
  pagePath?: string
}

/** The dashboard as a fastify plugin, with what it costs right now. */
export type DashboardPlugin = FastifyPluginAsync & {
  /** How many live streams (`/dashboard/api/events`) are open. */
  readonly viewers: number
  /** Whether the dashboard is subscribed to the system's inspection events (only while viewers watch). */
  readonly inspecting: boolean
}

/** The strict policy every page, asset and answer of the dashboard carries: nothing but its own files. */
export const DASHBOARD_CSP = "default-src 'self'"

const STOP_WAIT_MS = 5_000
/** How long the details wait for an actor's snapshot, which it gives between two messages. */
const SNAPSHOT_WAIT_MS = 1_000
const ORDERS: readonly ActorOrder[] = ['path', 'queued', 'restarts', 'rate']

/**
 * A live dashboard of `system` (Erlang's observer): its nodes, its supervision tree, each actor's
 * mailbox, messages per second, restarts and last error, the top actors, recent dead letters,
 * and buttons to stop or restart an actor; the trees of the other nodes of its cluster too (their
 * figures polled with `system.observe` while shown, their actors' state and a kill button). Registers `GET /` (the page, or at `pagePath`), `/dashboard/…` (its
 * script and style) and `/dashboard/api/…` (JSON, and an SSE stream of changes). It adds no
 * authentication: mount it where requests are already authenticated.
 *
 * It costs nothing while nobody watches: it inspects the system and samples its actors only while
 * at least one page holds the live stream open.
 *
 * @example
 * ```ts
 * const app = fastify()
 * await app.register(dashboardPlugin(system))
 * await app.listen({ host: '127.0.0.1', port: 8080 })
 * ```
 */
export function dashboardPlugin(system: ActorSystem, options: DashboardOptions = {}): DashboardPlugin {
  const intervalMs = positive(options.intervalMs, 500, 'intervalMs')
  const topCount = positive(options.topCount, 10, 'topCount')
  const maxPageSize = positive(options.maxPageSize, 500, 'maxPageSize')
  const pagePath = options.pagePath ?? '/'
  if (typeof pagePath !== 'string' || !pagePath.startsWith('/'))
    throw new InvalidOptionError('pagePath', `expected a path that starts with /, got ${String(pagePath)}`)
  const table = new ActorTable(system)
  const ring = new DeadLetterRing(positive(options.deadLetterCapacity, 100, 'deadLetterCapacity'))
  const feed = new LiveFeed(system, table, ring, {
    intervalMs,
    topCount,
    maxChanged: 250,
    maxRates: 1_000,
    maxSpawned: 500,
  })
  const assets = loadAssets()

  /** With no viewer the table is not kept up to date: read the tree as it stands. */
  const fresh = (): void => {
    if (feed.inspecting) return
    table.resync()
    table.stopSampling()
    table.sample()
  }
  const pageQuery = {
    type: 'object',
    properties: {
      offset: { type: 'integer', minimum: 0, default: 0 },
      limit: { type: 'integer', minimum: 1, maximum: maxPageSize, default: 100 },
    },
  } as const
  const pathBody = {
    type: 'object',
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1, maxLength: 2048 } },
  } as const

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', DASHBOARD_CSP)
      reply.header('x-content-type-options', 'nosniff')
      return payload
    })
    app.addHook('preClose', async () => feed.closeAll())
    await app.register(dashboardNodeRoutes(system, maxPageSize))

    const serve = (reply: FastifyReply, file: string) => {
      const asset = assets.get(file)!
      return reply.type(asset.contentType).header('cache-control', 'no-cache').send(asset.body)
    }
    app.get(pagePath, async (_request, reply) => serve(reply, 'index.html'))
    app.get('/dashboard/dashboard.js', async (_request, reply) => serve(reply, 'dashboard.js'))
    app.get('/dashboard/node-trees.js', async (_request, reply) => serve(reply, 'node-trees.js'))
    app.get('/dashboard/dashboard.css', async (_request, reply) => serve(reply, 'dashboard.css'))
    app.get('/dashboard/favicon.svg', async (_request, reply) => serve(reply, 'favicon.svg'))

    app.get('/dashboard/api/overview', async () => {
      fresh()
      return {
        node: system.node,
        actors: table.size,
        deadLetters: system.deadLetters,
        viewers: feed.viewerCount,
        inspecting: feed.inspecting,
        intervalMs,
        members: membersOf(system),
      }
    })

    app.get<{ Querystring: { parent: string; offset: number; limit: number } }>(
      '/dashboard/api/children',
      {
        schema: {
          querystring: {
            ...pageQuery,
            properties: { ...pageQuery.properties, parent: { type: 'string', default: ROOT_PATH } },
          },
        },
      },
      async (request, reply) => {
        fresh()
        const { parent, offset, limit } = request.query
        const page = table.children(parent, offset, limit)
        if (page === undefined) return reply.code(404).send({ error: `no actor at ${parent}` })
        return page
      },
    )

    app.get<{ Querystring: { order: ActorOrder; offset: number; limit: number } }>(
      '/dashboard/api/actors',
      {
        schema: {
          querystring: {
            ...pageQuery,
            properties: { ...pageQuery.properties, order: { type: 'string', enum: ORDERS, default: 'path' } },
          },
        },
      },
      async (request) => {
        fresh()
        const { order, offset, limit } = request.query
        return table.page(order, offset, limit)
      },
    )

    app.get('/dashboard/api/top', async () => {
      fresh()
      return table.top(topCount)
    })

    app.get<{ Querystring: { path: string } }>(
      '/dashboard/api/actor',
      { schema: { querystring: { type: 'object', required: ['path'], properties: pathBody.properties } } },
      async (request, reply) => {
        fresh()
        const row = table.row(request.query.path)
        const ref = system.actorAt(request.query.path)
        if (row === undefined || ref === undefined)
          return reply.code(404).send({ error: `no actor at ${request.query.path}` })
        try {
          return { ...row, state: await stateOf(system, ref, SNAPSHOT_WAIT_MS) }
        } catch {
          // It stopped between the lookup and the snapshot.
          return reply.code(404).send({ error: `no actor at ${request.query.path}` })
        }
      },
    )

    app.get('/dashboard/api/dead-letters', async () => ({
      total: system.deadLetters,
      recording: feed.inspecting,
      recent: ring.list(),
    }))

    app.get('/dashboard/api/events', (_request, reply) => {
      reply.hijack()
      feed.attach(reply.raw)
    })

    app.post<{ Body: { path: string } }>(
      '/dashboard/api/actor/kill',
      { schema: { body: pathBody } },
      async (request, reply) => {
        const ref = system.actorAt(request.body.path)
        if (ref === undefined) return reply.code(404).send({ error: `no actor at ${request.body.path}` })
        const killed = await settleWithin(STOP_WAIT_MS, system.kill(ref))
        return { path: request.body.path, killed: killed !== undefined }
      },
    )

    app.post<{ Body: { path: string } }>(
      '/dashboard/api/actor/restart',
      { schema: { body: pathBody } },
      async (request, reply) => {
        const ref = system.actorAt(request.body.path)
        if (ref === undefined) return reply.code(404).send({ error: `no actor at ${request.body.path}` })
        return { path: request.body.path, restarted: system.restart(ref) }
      },
    )
  }

  return Object.defineProperties(plugin, {
    viewers: { get: () => feed.viewerCount },
    inspecting: { get: () => feed.inspecting },
  }) as DashboardPlugin
}

function positive(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0)
    throw new InvalidOptionError(option, `expected a whole number > 0, got ${String(value)}`)
  return value
}
