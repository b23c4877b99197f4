import type { FastifyReply, FastifyRequest } from 'fastify'
import { MUTATING_METHODS } from './host-origin.ts'
import { HttpProblem } from './problem.ts'

/** What the guard checks requests against; the sets are filled once the port is known. */
export interface GuardLists {
  hosts: ReadonlySet<string>
  /** Origins that may make changes: the gateway's own, and the CORS ones. */
  origins: ReadonlySet<string>
  /** Origins that get CORS headers (none unless configured). */
  corsOrigins: ReadonlySet<string>
}

/** The methods and headers a CORS preflight is told the gateway takes. */
const CORS_METHODS = 'GET, PUT, POST, DELETE'
const CORS_HEADERS = 'authorization, content-type'

/**
 * The `onRequest` hook before everything, `/health` too: the `Host` header must be one the
 * gateway answers (DNS rebinding), a mutating request's `Origin`, when present, one it allows
 * (cross-site requests), and only configured origins get CORS headers.
 */
export function requestGuard(lists: () => GuardLists) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { hosts, origins, corsOrigins } = lists()
    const host = (request.headers.host ?? '').toLowerCase()
    if (!hosts.has(host)) {
      throw new HttpProblem(
        403,
        'host-not-allowed',
        'Host not allowed',
        `this gateway does not answer for Host '${host.slice(0, 100)}': use one of ${[...hosts].join(', ')}, or start it with allowedHosts`,
      )
    }
    const origin = request.headers.origin
    const preflight = request.method === 'OPTIONS' && origin !== undefined
    if (origin !== undefined && (MUTATING_METHODS.has(request.method) || preflight) && !origins.has(origin)) {
      throw new HttpProblem(
        403,
        'origin-not-allowed',
        'Origin not allowed',
        `${request.method} requests from the origin '${origin.slice(0, 100)}' are refused: only the gateway's own pages${corsOrigins.size === 0 ? '' : ' and the cors.origins'} may make changes; start it with cors: { origins: [...] } to allow another`,
      )
    }
    if (origin !== undefined && corsOrigins.has(origin)) {
      reply.header('access-control-allow-origin', origin)
      reply.header('access-control-allow-credentials', 'true')
      reply.header('vary', 'Origin')
      if (preflight) {
        reply.header('access-control-allow-methods', CORS_METHODS)
        reply.header('access-control-allow-headers', CORS_HEADERS)
        reply.header('access-control-max-age', '600')
        await reply.code(204).send()
      }
    }
  }
}
