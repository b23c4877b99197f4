import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { LogLimiter, suppressedTail } from '../../internal.ts'
import { HttpProblem } from './problem.ts'
import { tokensEqual } from './token.ts'

/** The cookie that carries the token for a browser, set by `GET /?token=…`. */
export const TOKEN_COOKIE = 'troupe_token'
/** How often a line about wrong tokens from one address is logged, at most. */
export const WRONG_TOKEN_LOG_INTERVAL_MS = 10_000

function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1] ?? ''
}

function cookieOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === TOKEN_COOKIE)
      return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}

const HOW_TO_AUTHENTICATE =
  'send Authorization: Bearer <token>; the token was printed in the dashboard URL when the gateway started, or is in its token file (--token-file)'

/**
 * The `onRequest` hook of the authenticated scope: the token from `Authorization: Bearer` or the
 * `troupe_token` cookie, compared in constant time. `GET /?token=…` with the right token sets the
 * cookie (HttpOnly, SameSite=Strict) and redirects to `/`, so the token leaves the address bar.
 */
export function authenticator(token: string, logger: Logger) {
  const limiter = new LogLimiter(WRONG_TOKEN_LOG_INTERVAL_MS)
  const refuse = (request: FastifyRequest, why: string): never => {
    const suppressed = limiter.admit(`${request.ip} ${why}`)
    if (suppressed !== undefined)
      logger.warn(
        `gateway: refused ${request.method} ${request.url.split('?')[0]} from ${request.ip}: ${why}${suppressedTail(suppressed)}`,
      )
    throw new HttpProblem(401, 'unauthorized', 'Authentication required', `${why}: ${HOW_TO_AUTHENTICATE}`, {
      'www-authenticate': 'Bearer realm="troupe", error="invalid_token"',
    })
  }
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const [path, query] = request.url.split('?', 2)
    if (request.method === 'GET' && path === '/' && query !== undefined) {
      const given = new URLSearchParams(query).get('token')
      if (given !== null) {
        if (!tokensEqual(given, token)) refuse(request, 'the token in the URL is wrong')
        reply.header(
          'set-cookie',
          `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
        )
        return reply.redirect('/', 303)
      }
    }
    const presented = bearerOf(request.headers.authorization) ?? cookieOf(request.headers.cookie)
    if (presented === undefined)
      throw new HttpProblem(
        401,
        'unauthorized',
        'Authentication required',
        `no token was given: ${HOW_TO_AUTHENTICATE}`,
        {
          'www-authenticate': 'Bearer realm="troupe"',
        },
      )
    if (!tokensEqual(presented, token)) refuse(request, 'the token is wrong')
    return undefined
  }
}
