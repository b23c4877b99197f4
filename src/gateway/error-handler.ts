import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { describeError } from '../internal.ts'
import { HttpProblem, PROBLEM_MEDIA_TYPE, problemOf } from './security/problem.ts'

/** Sends `problem` as an RFC 9457 response for the request. */
export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  problem: HttpProblem,
): FastifyReply {
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_MEDIA_TYPE)
    .send(JSON.stringify(problemOf(problem, request.url.split('?')[0] ?? '/')))
}

/** What fastify's own errors (validation, body limits, JSON parsing) mean to the client. */
function problemOfFastify(error: FastifyError, maxBodyBytes: number): HttpProblem | undefined {
  if (error.validation !== undefined) {
    const where = error.validationContext ?? 'request'
    if (where === 'params')
      return new HttpProblem(
        400,
        'bad-name',
        'Bad actor name',
        `the name in the path is not valid (${error.message}): use letters, digits and _ . : @ - (not first: . : @ -), at most 128 characters`,
      )
    return new HttpProblem(
      400,
      'invalid-request',
      'The request is not valid',
      `${error.message}; fix the ${where} and send it again`,
    )
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpProblem(
        413,
        'body-too-large',
        'Body too large',
        `the body is over ${maxBodyBytes} bytes (maxBodyBytes): send less, or start the gateway with a larger maxBodyBytes`,
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpProblem(
        415,
        'unsupported-media-type',
        'Unsupported media type',
        'send the body as JSON, with Content-Type: application/json',
      )
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpProblem(
        400,
        'empty-body',
        'Empty body',
        'the body is empty: send a JSON value, or leave out Content-Type: application/json',
      )
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpProblem(
        400,
        'bad-content-length',
        'Bad Content-Length',
        'the Content-Length does not match the body',
      )
  }
  if (
    error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    (error.statusCode === 400 && error instanceof SyntaxError)
  )
    return new HttpProblem(
      400,
      'invalid-json',
      'The body is not JSON',
      'the body is not valid JSON: send valid JSON, or another Content-Type',
    )
  return undefined
}

/** The gateway's error handler: every error becomes a problem response, never a stack trace. */
export function errorHandler(logger: Logger, maxBodyBytes: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof HttpProblem) return sendProblem(reply, request, error)
    const known = problemOfFastify(error, maxBodyBytes)
    if (known !== undefined) return sendProblem(reply, request, known)
    logger.error(
      { err: error },
      `gateway: ${request.method} ${request.url.split('?')[0]} failed: ${describeError(error)}`,
    )
    return sendProblem(
      reply,
      request,
      new HttpProblem(
        500,
        'internal',
        'The gateway failed',
        `the gateway failed on this request (${describeError(error, { firstLine: true })}); its log has more`,
      ),
    )
  }
}
