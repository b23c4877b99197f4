import type { FastifyInstance } from 'fastify'
import { type ActorSystem, type AnyBehavior, listActors, NameTakenError, TimeoutError } from '../../index.ts'
import { actorProblem } from '../actor-problems.ts'
import type { ResolvedGatewayOptions } from '../options.ts'
import { messageBody, messageQuery, nameParams, pageQuery, spawnBody } from '../schemas.ts'
import { HttpProblem } from '../security/problem.ts'

interface NameParams {
  name: string
}

/** How many actors a `GET /actors` page holds when the request does not say. */
export const DEFAULT_PAGE_SIZE = 100

/** `/actors` and `/actors/:name`: list, spawn, tell or ask, snapshot, kill. */
export function actorRoutes(system: ActorSystem, options: ResolvedGatewayOptions) {
  const notFound = (name: string) =>
    new HttpProblem(
      404,
      'actor-not-found',
      'No such actor',
      `no actor is registered as '${name}' on this node or in its cluster: GET /actors lists them, PUT /actors/${name} spawns one`,
    )
  const find = async (name: string) => {
    const portal = await system.findActor(name)
    if (portal === undefined) throw notFound(name)
    return portal
  }
  /**
   * Runs an actor operation with a deadline, its failure as a problem. A plain timer, not a cancel
   * scope: the first scope switches on async context tracking, which every request would then pay.
   */
  const within = <T>(name: string, timeoutMs: number, work: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(actorProblem(new TimeoutError(timeoutMs), name)), timeoutMs)
      work().then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(actorProblem(error, name))
        },
      )
    })

  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: { limit?: number; offset?: number } }>(
      '/actors',
      { schema: { querystring: pageQuery(options.maxPageSize) } },
      async (request) => {
        const limit = request.query.limit ?? DEFAULT_PAGE_SIZE
        const offset = request.query.offset ?? 0
        const all = await listActors(system)
        const actors = all.slice(offset, offset + limit)
        const next = offset + actors.length < all.length ? offset + actors.length : undefined
        return { actors, total: all.length, limit, offset, ...(next === undefined ? {} : { next }) }
      },
    )

    app.put<{ Params: NameParams; Body: { type: string; args?: unknown } }>(
      '/actors/:name',
      { schema: { params: nameParams, body: spawnBody } },
      async (request, reply) => {
        const { name } = request.params
        const { type, args } = request.body
        const exposed = options.types.get(type)
        if (exposed === undefined) {
          const known = [...options.types.keys()]
          throw new HttpProblem(
            400,
            'unknown-type',
            'Unknown actor type',
            `'${type}' is not a type this gateway spawns; it spawns ${known.length === 0 ? 'none (start it with types)' : known.map((t) => `'${t}'`).join(', ')}`,
          )
        }
        const wrong = exposed.checkArgs?.(args)
        if (wrong !== undefined)
          throw new HttpProblem(422, 'invalid-args', 'Bad args for this type', `args of '${type}': ${wrong}`)
        if ((await system.findActor(name)) !== undefined) throw actorProblem(new NameTakenError(name), name)
        let address: string
        try {
          address = system.spawn(exposed.behavior as AnyBehavior, { name, props: args as never }).address
        } catch (error) {
          throw actorProblem(error, name)
        }
        reply.code(201).header('location', `/actors/${encodeURIComponent(name)}`)
        return { name, address }
      },
    )

    app.post<{ Params: NameParams; Querystring: { ask?: string; timeout?: number }; Body: unknown }>(
      '/actors/:name',
      {
        schema: { params: nameParams, querystring: messageQuery(options.maxAskTimeoutMs), body: messageBody },
      },
      async (request, reply) => {
        const { name } = request.params
        const portal = await find(name)
        const ask = request.query.ask === '1' || request.query.ask === 'true'
        if (!ask) {
          portal.tell(request.body)
          reply.code(202)
          return { name, address: portal.address, accepted: true }
        }
        const timeout = request.query.timeout ?? options.askTimeoutMs
        // The ask's own deadline bounds it (an AskTimeoutError is a 504): no cancel scope of the
        // gateway's around it, which would switch on async context tracking for every request.
        let answer: unknown
        try {
          answer = await portal.ask(request.body, { timeout })
        } catch (error) {
          throw actorProblem(error, name)
        }
        // Serialized here: fastify would send a string reply as text, not as JSON.
        reply.type('application/json')
        return JSON.stringify(answer === undefined ? null : answer)
      },
    )

    app.get<{ Params: NameParams }>('/actors/:name', { schema: { params: nameParams } }, async (request) => {
      const { name } = request.params
      const portal = await find(name)
      const snapshot = await within(name, options.askTimeoutMs, () => system.snapshot(portal))
      return { name, address: portal.address, snapshot: snapshot === undefined ? null : snapshot }
    })

    app.delete<{ Params: NameParams }>(
      '/actors/:name',
      { schema: { params: nameParams } },
      async (request) => {
        const { name } = request.params
        const portal = await find(name)
        await within(name, options.askTimeoutMs, () => system.kill(portal))
        return { name, address: portal.address, reason: 'killed' }
      },
    )
  }
}
