import type { ActorSystem } from '../index.ts'
import type { FlowEvent } from './event.ts'

/** The inbox every component has, where `connect(a, b)` delivers. */
export const INBOX = 'inbox'
/** The outbox every component has, that `connect(a, b)` takes from. */
export const OUTBOX = 'outbox'
/** The outbox failures go out on: `connectError(a, b)` takes from it. */
export const ERROR = 'error'

/** The logger a component writes to: the system's pino logger, named after the component. */
export type ComponentLog = ActorSystem['logger']

/** What a component is given to work with, from `start` to `stop`. */
export interface ComponentContext {
  /** The component's name in its graph. */
  readonly name: string
  readonly system: ActorSystem
  readonly log: ComponentLog
  /**
   * Sends `event` out on `outbox` (default `outbox`) to every inbox connected to it, the same
   * frozen event to each; resolves once each of them had room (a full inbox makes the caller
   * wait: backpressure). Nothing connected: the event goes nowhere (an error event is logged).
   */
  emit(event: FlowEvent, outbox?: string): Promise<void>
  /** Sends `event` to the error route with `error` recorded on it (see {@link ComponentContext.emit}). */
  fail(event: FlowEvent, error: unknown): Promise<void>
  /** Whether anything is connected to `outbox`. */
  connected(outbox: string): boolean
  /** Aborted when the component stops: long work and timers end with it. */
  readonly signal: AbortSignal
}

/**
 * A component of a graph: an actor with named inboxes and outboxes (`inbox`, `outbox` and
 * `error` by default). The director delivers each event to `receive` with the inbox it came in
 * on, one at a time; whatever `receive` throws or rejects with, or a timeout, goes to the error
 * route with the event. Made by the built-ins (`Transform`, `Http`, …) or by
 * {@link defineComponent}.
 */
export interface Component {
  /** The kind of component (`Transform`, `Http`), for logs and graph files. */
  readonly type: string
  /** Inboxes besides `inbox`. */
  readonly inboxes?: readonly string[]
  /** Outboxes besides `outbox` and `error`. */
  readonly outboxes?: readonly string[]
  /** Runs when the graph starts, once every component is wired; a failure stops the start. */
  start?(ctx: ComponentContext): void | Promise<void>
  /** Handles one event that came in on `inbox`. Without it, events pass through to `outbox`. */
  receive?(event: FlowEvent, ctx: ComponentContext, inbox: string): void | Promise<void>
  /** Runs when the graph stops, after the events in flight have drained (or the drain timed out). */
  stop?(ctx: ComponentContext): void | Promise<void>
  /** This component makes events of its own (a server, a timer): the graph stops it first when it stops. */
  readonly source?: boolean
}

/** A component of your own: its boxes, and what it does at start, per event and at stop. */
export function defineComponent(component: Component): Component {
  return Object.freeze({ ...component })
}
