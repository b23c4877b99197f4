import type { FastifyInstance, FastifyReply } from 'fastify'
import {
  ActorStoppedError,
  type ActorSystem,
  InvalidOptionError,
  MAX_OBSERVE_LIMIT,
  NodeDownError,
  UntrustedRequestError,
} from '../../index.ts'
import { stateOf } from './actor-state.ts'
import { settleWithin } from './settle-within.ts'

/** How long the page waits for another node's answer (a node that froze answers nothing). */
const NODE_WAIT_MS = 5_000

type NodeParams = { node: string }

/**
 * The dashboard's routes about any member of the cluster, this node or another (Erlang's observer
 * on a remote node), under `/dashboard/api/nodes/:node/…`: a page of an actor's children with their
 * counters (`system.observe`, which the page polls while it shows that node's tree), an actor's
 * state (`system.snapshot`) and a kill (`system.kill`). No restart: `system.restart` restarts
 * actors of this node only, through their supervisor here. A node that is not a member (in
 * `system.members()`, as the page lists them) is a 404: a request names no node to connect to.
 */
export function dashboardNodeRoutes(system: ActorSystem, maxPageSize: number) {
  const pathBody = {
    type: 'object',
    required: ['path'],
    properties: { path: { type: 'string', minLength: 1, maxLength: 2048 } },
  } as const
  const params = {
    type: 'object',
    required: ['node'],
    properties: { node: { type: 'string', minLength: 1, maxLength: 512 } },
  } as const

  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Params: NodeParams; Querystring: { parent: string; offset: number; limit: number } }>(
      '/dashboard/api/nodes/:node/children',
      {
        schema: {
          params,
          querystring: {
            type: 'object',
            properties: {
              parent: { type: 'string', minLength: 1, maxLength: 2048, default: '/user' },
              offset: { type: 'integer', minimum: 0, default: 0 },
              limit: {
                type: 'integer',
                minimum: 1,
                maximum: Math.min(maxPageSize, MAX_OBSERVE_LIMIT),
                default: 100,
              },
            },
          },
        },
      },
      async (request, reply) => {
        const { node } = request.params
        return answer(system, reply, node, () => system.observe(node, request.query))
      },
    )

    app.get<{ Params: NodeParams; Querystring: { path: string } }>(
      '/dashboard/api/nodes/:node/actor',
      { schema: { params, querystring: pathBody } },
      async (request, reply) => {
        const { node } = request.params
        const { path } = request.query
        return answer(system, reply, node, async () => {
          const ref = refOn(system, node, path)
          return { node, path, address: ref.address, state: await stateOf(system, ref, NODE_WAIT_MS) }
        })
      },
    )

    app.post<{ Params: NodeParams; Body: { path: string } }>(
      '/dashboard/api/nodes/:node/actor/kill',
      { schema: { params, body: pathBody } },
      async (request, reply) => {
        const { node } = request.params
        const { path } = request.body
        return answer(system, reply, node, async () => {
          await system.kill(refOn(system, node, path))
          return { node, path, killed: true }
        })
      },
    )
  }
}

/** The ref of the actor at `path` on `node`; throws `InvalidOptionError` for a path that names no actor. */
function refOn(system: ActorSystem, node: string, path: string) {
  if (!path.startsWith('/user/'))
    throw new InvalidOptionError('path', `expected the path of an actor such as /user/orders, got ${path}`)
  return system.refOf(`troupe://${node}${path}`)
}

/**
 * Runs `work` for the member `node` within the wait, answering with what it gives or a status
 * that says who failed.
 */
async function answer<T>(
  system: ActorSystem,
  reply: FastifyReply,
  node: string,
  work: () => Promise<T>,
): Promise<T | FastifyReply> {
  if (!system.members().some((member) => member.node === node))
    return reply
      .code(404)
      .send({ error: `node ${node} is no member of this node's cluster (system.members())` })
  try {
    const done = await settleWithin(NODE_WAIT_MS, work())
    if (done === undefined)
      return reply.code(504).send({ error: `node ${node} gave no answer within ${NODE_WAIT_MS} ms` })
    return done.value
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return reply.code(statusOf(error)).send({ error: message })
  }
}

function statusOf(error: unknown): number {
  if (error instanceof InvalidOptionError) return 400
  if (error instanceof UntrustedRequestError) return 403
  if (error instanceof ActorStoppedError) return 404
  if (error instanceof NodeDownError) return 503
  return 500
}
