import { randomUUID } from 'node:crypto'

/**
 * What a failure on the way made of an event: a plain record, so that it crosses threads,
 * processes and nodes as it is. `status` is the HTTP status it stands for, when it names one.
 */
export interface EventError {
  /** The error's class name (`TimeoutError`, `StatusError`, `Error`, …). */
  readonly name: string
  readonly message: string
  /** The component the failure happened in. */
  readonly component: string
  /** The HTTP status the failure stands for (`401` from `BasicAuth`, `504` for a timeout). */
  readonly status?: number
  /** A code of the error's own, when it had one. */
  readonly code?: string
  /** Headers an HTTP answer to it carries (`www-authenticate` with a 401). */
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * One event of a graph: `data` is what components transform, `meta` what travels beside it (an
 * HTTP request's method, path and headers, the user `BasicAuth` let in), and `id` follows the
 * event through the whole graph: an event derived from another keeps its id, so `Http` knows
 * which request an event coming back answers. An event is frozen: fan-out hands every inbox the
 * same one, and a component makes a new event rather than change one.
 */
export interface FlowEvent<D = unknown> {
  readonly id: string
  readonly data: D
  readonly meta: Readonly<Record<string, unknown>>
  /** Set on events on an error route: what failed, and where. */
  readonly error?: EventError
}

/** A new event, with a fresh id unless one is given. */
export function createEvent<D>(
  data: D,
  meta: Record<string, unknown> = {},
  id: string = randomUUID(),
): FlowEvent<D> {
  return freeze({ id, data, meta: freeze({ ...meta }) })
}

/** `event` with new data (and meta merged over its own), keeping its id. */
export function deriveEvent<D>(event: FlowEvent, data: D, meta?: Record<string, unknown>): FlowEvent<D> {
  // With no meta to merge, the new event shares its meta, once that is frozen.
  const merged =
    meta === undefined && Object.isFrozen(event.meta) ? event.meta : freeze({ ...event.meta, ...meta })
  return event.error === undefined
    ? freeze({ id: event.id, data, meta: merged })
    : freeze({ id: event.id, data, meta: merged, error: event.error })
}

/** `event` on its way to an error route: `error` says what failed in `component`. */
export function failedEvent(event: FlowEvent, error: unknown, component: string): FlowEvent {
  return freeze({ id: event.id, data: event.data, meta: event.meta, error: eventErrorOf(error, component) })
}

/** The plain record of `error`, thrown in `component`. */
export function eventErrorOf(error: unknown, component: string): EventError {
  if (!(error instanceof Error)) return freeze({ name: 'Error', message: String(error), component })
  const { status, code, headers } = error as { status?: unknown; code?: unknown; headers?: unknown }
  return freeze({
    name: error.name,
    message: error.message,
    component,
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof code === 'string' ? { code } : {}),
    ...(isStringRecord(headers) ? { headers: freeze({ ...headers }) } : {}),
  })
}

/** Whether `value` has the shape of an event (a component may be sent anything). */
export function isFlowEvent(value: unknown): value is FlowEvent {
  const event = value as Partial<FlowEvent> | null
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.id === 'string' &&
    typeof event.meta === 'object' &&
    event.meta !== null
  )
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((entry) => typeof entry === 'string')
  )
}

function freeze<T extends object>(value: T): T {
  return Object.freeze(value)
}
