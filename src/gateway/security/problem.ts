/** Where the gateway's problem types live: `urn:troupe:gateway:<slug>` (RFC 9457 `type`). */
export const PROBLEM_TYPE_PREFIX = 'urn:troupe:gateway:'
/** The media type of every error the gateway answers with (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/** An RFC 9457 problem document, as the gateway sends it. */
export interface Problem {
  /** `urn:troupe:gateway:<slug>`, one per kind of problem. */
  type: string
  /** A short summary of the kind of problem, the same for each of its kind. */
  title: string
  /** The HTTP status. */
  status: number
  /** What was wrong with this request, and how to fix it. */
  detail: string
  /** The request's path, which the problem is about. */
  instance: string
}

/**
 * A failure to answer with a problem response: thrown by a route or a hook, turned into the
 * response by the gateway's error handler. Extra `headers` go with it (`WWW-Authenticate`, …).
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem'
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail)
  }
}

/** The problem document of `problem` for the request to `instance`. */
export function problemOf(problem: HttpProblem, instance: string): Problem {
  return {
    type: `${PROBLEM_TYPE_PREFIX}${problem.slug}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance,
  }
}
