import { type Component, defineComponent } from '../component.ts'
import { StatusError } from '../errors.ts'
import { createEvent, deriveEvent, type FlowEvent } from '../event.ts'
import { type Broker, type BrokerOptions, startBroker } from '../majordomo/broker.ts'
import { type MdpClient, mdpClient } from '../majordomo/client.ts'
import { MdpServiceError, MdpTimeoutError } from '../majordomo/errors.ts'
import { type MdpWorker, startWorker } from '../majordomo/worker.ts'

/** A MajorDomo broker as a component of a graph: it runs while the graph runs, and passes events on. */
export function MajordomoBroker(options: BrokerOptions): Component {
  let broker: Broker | undefined
  return defineComponent({
    type: 'MajordomoBroker',
    async start(ctx) {
      broker = await startBroker({ logger: ctx.log, ...options })
    },
    async stop() {
      await broker?.close()
    },
  })
}

/** Options of {@link MajordomoClient}. */
export interface MajordomoClientOptions {
  /** The broker's endpoint (`tcp://127.0.0.1:5555`). */
  broker: string
  /** The service to ask; without it, the first segment of the event's `meta.path` (`/test_service`). */
  service?: string
  /** The longest a request may take. @default 10000 */
  timeoutMs?: number
  /**
   * Every request on one socket, tagged, rather than a socket per request in flight: several
   * times the rate, but only a Troupe broker serves it (see `ClientOptions.multiplex`).
   * @default false
   */
  multiplex?: boolean
}

/**
 * A component that asks a MajorDomo service for each event: its data goes as one JSON frame (a
 * string or bytes as they are), and the reply comes back as the event's data (parsed as JSON when
 * it is). An error reply goes to the error route with its code as the HTTP status (503 for a full
 * queue, 502 for a worker that died with the request, 500 for a handler that threw), a timeout
 * with 504.
 */
export function MajordomoClient(options: MajordomoClientOptions): Component {
  let client: MdpClient | undefined
  return defineComponent({
    type: 'MajordomoClient',
    start() {
      client = mdpClient({
        broker: options.broker,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        multiplex: options.multiplex === true,
      })
    },
    async receive(event, ctx) {
      const service = options.service ?? serviceOf(event)
      try {
        const reply = await client!.request(service, frameOf(event.data))
        await ctx.emit(deriveEvent(event, dataOf(reply)))
      } catch (error) {
        if (error instanceof MdpServiceError) throw new StatusError(statusOf(error.code), error.message)
        if (error instanceof MdpTimeoutError) throw new StatusError(504, error.message)
        throw error
      }
    },
    async stop() {
      await client?.close()
    },
  })
}

/** Options of {@link MajordomoWorker}. */
export interface MajordomoWorkerOptions {
  /** The broker's endpoint. */
  broker: string
  /** The service it serves. */
  service: string
  /** The longest a request may take in the graph before its client gets an error reply. @default 10000 */
  timeoutMs?: number
}

/**
 * A MajorDomo worker as a source of a graph: each request it takes becomes an event (its body
 * parsed as JSON when it is) sent on `outbox`, and the event that comes back to its inbox with
 * the same id is the reply. An error event is replied to with MDP's error reply, which a Troupe
 * client turns into `MdpServiceError`.
 */
export function MajordomoWorker(options: MajordomoWorkerOptions): Component {
  const timeoutMs = options.timeoutMs ?? 10_000
  const waiting = new Map<string, (event: FlowEvent) => void>()
  let worker: MdpWorker | undefined
  return defineComponent({
    type: 'MajordomoWorker',
    source: true,
    start(ctx) {
      worker = startWorker({
        broker: options.broker,
        service: options.service,
        logger: ctx.log,
        handler: async (body) => {
          const event = createEvent(dataOf(body), { service: options.service })
          const back = new Promise<FlowEvent>((resolve, reject) => {
            const timer = setTimeout(() => {
              waiting.delete(event.id)
              reject(new Error(`no answer in the graph within ${timeoutMs} ms`))
            }, timeoutMs)
            waiting.set(event.id, (answer) => {
              clearTimeout(timer)
              resolve(answer)
            })
          })
          await ctx.emit(event)
          const answer = await back
          if (answer.error !== undefined)
            throw new Error(`${answer.error.component}: ${answer.error.message}`)
          return [frameOf(answer.data)]
        },
      })
    },
    receive(event) {
      const answer = waiting.get(event.id)
      waiting.delete(event.id)
      answer?.(event)
    },
    async stop() {
      await worker?.close()
    },
  })
}

function serviceOf(event: FlowEvent): string {
  const path = typeof event.meta.path === 'string' ? event.meta.path : ''
  const service = path.split('/').find((part) => part !== '')
  if (service === undefined) throw new StatusError(404, 'no service named: give one in the path (/<service>)')
  return service
}

function frameOf(data: unknown): Buffer {
  if (typeof data === 'string') return Buffer.from(data)
  if (data instanceof Uint8Array) return Buffer.from(data)
  return Buffer.from(JSON.stringify(data ?? null))
}

function dataOf(frames: readonly Buffer[]): unknown {
  const text = Buffer.concat(frames).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function statusOf(code: string): number {
  const status = Number(code)
  return status >= 400 && status <= 599 ? status : 502
}
