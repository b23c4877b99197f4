import { type ActorSystem, AskTimeoutError, type Ref } from '../index.ts'
import type { Backlog } from './backlog.ts'
import { type ComponentContext, ERROR, OUTBOX } from './component.ts'
import type { ComponentMessage, MutableCounts, Target } from './component-actor.ts'
import { answerWithinMs, CreditWindow } from './credit-window.ts'
import { type FlowEvent, failedEvent } from './event.ts'

/**
 * What `emit` returns when every target took the event at once: the caller need not wait, and
 * the component's actor, seeing it, goes on to its next event in the same turn.
 */
export const DELIVERED: Promise<void> = Promise.resolve()

/** Sends one event to one target; {@link DELIVERED} when it was queued at once. */
type Send = (event: FlowEvent, outbox: string) => Promise<void>

/** What a component's context is made of, besides its routes. */
export interface ContextParts {
  readonly name: string
  readonly system: ActorSystem
  readonly log: ComponentContext['log']
  readonly signal: AbortSignal
  readonly counts: MutableCounts
  /** The backlogs of the components in this thread, by their actors' refs. */
  readonly backlogs: ReadonlyMap<Ref, Backlog> | undefined
}

/** The context of a component whose outboxes lead to `routes`. */
export function contextOf(
  parts: ContextParts,
  routes: ReadonlyMap<string, readonly Target[]>,
): ComponentContext {
  const { name, log, counts } = parts
  const lost = (error: unknown, event: FlowEvent, outbox: string): void => {
    counts.dropped++
    log.warn(
      { err: error, event: event.id },
      `component '${name}' could not deliver event ${event.id} on '${outbox}'`,
    )
  }
  const senders = new Map<string, readonly Send[]>()
  for (const [outbox, targets] of routes)
    senders.set(
      outbox,
      targets.map((target) => senderTo(target, parts, lost)),
    )
  const emit = (event: FlowEvent, outbox: string = OUTBOX): Promise<void> => {
    const sends = senders.get(outbox)
    if (sends === undefined || sends.length === 0) {
      if (event.error !== undefined)
        log.error(
          { event: event.id, error: event.error },
          `component '${event.error.component}' failed on event ${event.id}: ${event.error.name}: ${event.error.message} (no error route from '${name}')`,
        )
      return DELIVERED
    }
    if (sends.length === 1) return sends[0]!(event, outbox)
    const waits: Promise<void>[] = []
    for (const send of sends) {
      const sent = send(event, outbox)
      if (sent !== DELIVERED) waits.push(sent)
    }
    if (waits.length === 0) return DELIVERED
    return waits.length === 1 ? waits[0]! : Promise.all(waits).then(nothing)
  }
  return {
    name,
    system: parts.system,
    log,
    signal: parts.signal,
    emit,
    fail: (event, error) => emit(failedEvent(event, error, name), ERROR),
    connected: (outbox) => (routes.get(outbox)?.length ?? 0) > 0,
  }
}

const nothing = (): void => {}

type Lost = (error: unknown, event: FlowEvent, outbox: string) => void

// Every sender counts an event as sent before it sends it: one waiting for room is in flight.
function senderTo(target: Target, parts: ContextParts, lost: Lost): Send {
  if (target.window !== undefined) return windowedSender(target, new CreditWindow(target.window), parts, lost)
  const backlog = parts.backlogs?.get(target.ref)
  if (backlog !== undefined) return localSender(target, backlog, parts, lost)
  const { counts } = parts
  return (event, outbox) => {
    counts.sent++
    return target.ref.send({ kind: 'event', inbox: target.inbox, event }).catch((error: unknown) => {
      lost(error, event, outbox)
    })
  }
}

/** To a component in this thread: `tell` while its backlog has room, else `send` (see backlog.ts). */
function localSender(target: Target, backlog: Backlog, parts: ContextParts, lost: Lost): Send {
  const { counts } = parts
  const { ref, inbox } = target
  // Sends of this sender still waiting for room: a tell must not overtake them.
  let waiting = 0
  const admitted = (): void => {
    waiting--
  }
  return (event, outbox) => {
    counts.sent++
    if (waiting === 0 && backlog.open && backlog.queued < backlog.room) {
      backlog.queued++
      ref.tell({ kind: 'event', inbox, event })
      return DELIVERED
    }
    backlog.queued++
    waiting++
    return ref.send({ kind: 'event', inbox, event }).then(admitted, (error: unknown) => {
      waiting--
      backlog.queued--
      lost(error, event, outbox)
    })
  }
}

/**
 * To a component placed elsewhere (or from one): within a credit window, each event asked and
 * its answer freeing the credit (see credit-window.ts).
 */
function windowedSender(target: Target, window: CreditWindow, parts: ContextParts, lost: Lost): Send {
  const { counts } = parts
  const { ref, inbox } = target
  const timeout = answerWithinMs(target.timeoutMs ?? 30_000, target.window!)
  const released = (): void => window.release()
  const ask = (event: FlowEvent, outbox: string): void => {
    ref
      .ask({ kind: 'event', inbox, event, ack: true } satisfies ComponentMessage, { timeout })
      .then(released, (error: unknown) => {
        window.release()
        // Late is not lost: the component still counts it once handled.
        if (!(error instanceof AskTimeoutError)) lost(error, event, outbox)
      })
  }
  return (event, outbox) => {
    counts.sent++
    if (window.tryAcquire()) {
      ask(event, outbox)
      return DELIVERED
    }
    return window.acquire().then(() => ask(event, outbox))
  }
}
