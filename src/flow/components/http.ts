import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { type Component, type ComponentContext, defineComponent } from '../component.ts'
import { type Deadline, DeadlineTimer } from '../deadline-timer.ts'
import { createEvent, type EventError, type FlowEvent } from '../event.ts'

/** Options of {@link Http}. */
export interface HttpOptions {
  /** @default 0, a free port (see `address()`) */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** How long a request waits for its event to come back; then it gets 504. @default 30000 */
  timeoutMs?: number
  /** The largest request body taken; a larger one gets 413. @default 1048576 (1 MiB) */
  maxBodyBytes?: number
  /** Requests in the graph at once; past it a request gets 503 at once instead of queueing. @default 1000 */
  maxPending?: number
}

/** An `Http` component, which also says where it listens once the graph started. */
export interface HttpComponent extends Component {
  /** Where the server listens, once started. */
  address(): { host: string; port: number } | undefined
}

interface Waiting {
  readonly reply: FastifyReply
  /** Its 504: every request's on one timer. */
  readonly deadline: Deadline
}

/**
 * Full-circle HTTP, as compysition's `HTTPServer`: a request becomes an event (its body as
 * `data`, parsed as JSON when it says so; method, path, query and headers in `meta`) sent on
 * `outbox`, and the event that comes back to this component's inbox with the same id becomes
 * the response: its data as the body (JSON unless a string or bytes), `meta.status` and
 * `meta.responseHeaders` if set. An error event gets the status its error names (401 from
 * `BasicAuth`), 504 for a timeout, else 500, with `{ error, component }` as the body. No event
 * back within `timeoutMs` gives 504; a full graph (`maxPending`) gives 503.
 */
export function Http(options: HttpOptions = {}): HttpComponent {
  const timeoutMs = options.timeoutMs ?? 30_000
  const maxPending = options.maxPending ?? 1000
  const waiting = new Map<string, Waiting>()
  let app: ReturnType<typeof Fastify> | undefined
  let address: { host: string; port: number } | undefined
  let closing = false

  const deadlines = new DeadlineTimer(timeoutMs)

  const answer = (event: FlowEvent): void => {
    const pending = waiting.get(event.id)
    if (pending === undefined) return
    waiting.delete(event.id)
    pending.deadline.cancel()
    if (event.error !== undefined) sendError(pending.reply, event.error)
    else sendData(pending.reply, event)
  }
  // Not async: fastify waits for `reply.send`, which the answer (or the 504) calls.
  const handle = (ctx: ComponentContext, request: FastifyRequest, reply: FastifyReply): void => {
    if (closing) return void reply.code(503).send({ error: 'the graph is stopping' })
    if (waiting.size >= maxPending)
      return void reply
        .code(503)
        .send({ error: `the graph is saturated: ${maxPending} requests are in it (maxPending)` })
    const { path, query } = pathAndQuery(request.url)
    const event = createEvent(request.body, {
      method: request.method,
      path,
      query,
      headers: request.headers,
    })
    const id = event.id
    const deadline = deadlines.start(() => {
      waiting.delete(id)
      reply.code(504).send({ error: `no answer within ${timeoutMs} ms` })
    })
    waiting.set(id, { reply, deadline })
    // Never rejects; it waits only when the first inbox is full, and the answer comes back anyway.
    void ctx.emit(event)
  }

  return {
    ...defineComponent({
      type: 'Http',
      source: true,
      async start(ctx) {
        const server = Fastify({
          bodyLimit: options.maxBodyBytes ?? 1_048_576,
          forceCloseConnections: 'idle',
        })
        app = server
        // Bodies of any type: JSON is parsed (a malformed one gets 400), text stays text, the rest bytes.
        const keep = (
          _request: FastifyRequest,
          body: string | Buffer,
          done: (error: null, body: unknown) => void,
        ) => done(null, body)
        server.addContentTypeParser('*', { parseAs: 'buffer' }, keep)
        server.addContentTypeParser(/^text\//, { parseAs: 'string' }, keep)
        server.all('/*', (request: FastifyRequest, reply: FastifyReply) => handle(ctx, request, reply))
        await server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' })
        const info = server.server.address() as AddressInfo
        address = { host: info.address, port: info.port }
        ctx.log.info(`Http '${ctx.name}' listens on http://${address.host}:${address.port}`)
      },
      receive(event) {
        answer(event)
      },
      stop() {
        closing = true
        // Not awaited: the answers of requests in the graph still come back through this inbox.
        void app?.close()
      },
    }),
    address: () => address,
  }
}

/** A path of these characters only, with no `.` segment, is the same as `new URL` makes it. */
const PLAIN_PATH = /^\/(?!\/)[\w\-.~!$&'()*+,;=:@/]*$/
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze({})

/** The path and query of a request's URL; `new URL` (about 1 us) only for one that needs it. */
function pathAndQuery(url: string): { path: string; query: Readonly<Record<string, string>> } {
  if (PLAIN_PATH.test(url) && !url.includes('/.')) return { path: url, query: NO_QUERY }
  const parsed = new URL(url, 'http://localhost')
  return { path: parsed.pathname, query: Object.fromEntries(parsed.searchParams) }
}

function sendData(reply: FastifyReply, event: FlowEvent): void {
  const status = typeof event.meta.status === 'number' ? event.meta.status : 200
  const headers = event.meta.responseHeaders
  if (typeof headers === 'object' && headers !== null) reply.headers(headers as Record<string, string>)
  const data = event.data
  if (typeof data === 'string') reply.code(status).type('text/plain; charset=utf-8').send(data)
  else if (data instanceof Uint8Array)
    reply.code(status).type('application/octet-stream').send(Buffer.from(data))
  else reply.code(status).send(data === undefined ? null : data)
}

function sendError(reply: FastifyReply, error: EventError): void {
  const status = error.status ?? (error.name === 'TimeoutError' ? 504 : 500)
  if (error.headers !== undefined) reply.headers(error.headers)
  reply.code(status).send({ error: error.message, component: error.component })
}
