import { AskRef } from '../../core/ask.ts'
import { ActorStoppedError, AskTimeoutError } from '../../core/errors.ts'
import { type LocalActor, localActor } from '../../core/internal.ts'
import { type Ref, RefBase } from '../../core/ref.ts'
import { RemoteRef } from '../node/remote-ref.ts'
import type { ChildActorReady } from './child-actor-host.ts'

/** The deadline of an ask forwarded for an asker that has none of its own (a remote asker). */
const RELAY_TIMEOUT_MS = 60_000
/** How long the host has to say whether its actor failed, after an ask to it failed. */
const CHECK_TIMEOUT_MS = 5_000

/** One incarnation of a supervised actor on its child node, as its stand-in forwards to it. */
export interface Incarnation {
  /** The actor on the child node. */
  readonly actor: Ref
  /** Its parent there, which knows whether it failed. */
  readonly host: Ref
  /** Set once the stand-in knows that the actor failed. */
  failed: boolean
  /** The asks forwarded to the actor that have not been settled yet. */
  readonly relays: Set<Promise<void>>
}

/** An ask that reached the actor after it failed: it was never handled. */
export interface UndeliveredAsk {
  readonly message: unknown
  readonly asker: Ref
}

/**
 * What the stand-in tells itself when an ask it forwarded shows that the actor failed, so that it
 * fails (and its supervisor decides) before anyone hears of the failure through it.
 */
export class ActorFailedOutcome {
  constructor(
    /** The actor that failed. */
    readonly actor: Ref,
    /** The error it failed with, as its host says. */
    readonly failure: unknown,
    /** An ask it never handled, for the next incarnation. */
    readonly undelivered: UndeliveredAsk | undefined,
    /** The ask it failed on, whose asker gets `error` once the restart has begun. */
    readonly failedAsk: { readonly asker: Ref; readonly error: unknown } | undefined,
  ) {}

  /** Settles the asks now: the stand-in has stopped, so no incarnation will come. */
  settleWithout(standIn: Ref): void {
    if (this.failedAsk !== undefined) failReply(this.failedAsk.asker, this.failedAsk.error)
    if (this.undelivered !== undefined)
      failReply(this.undelivered.asker, new ActorStoppedError(standIn.address))
  }
}

/**
 * Forwards a message to the actor of `incarnation`: a tell as it is, an ask so that its reply goes
 * to the asker without passing the stand-in's mailbox.
 */
export function forward(
  incarnation: Incarnation,
  message: unknown,
  sender: Ref | undefined,
  standIn: LocalActor,
): void {
  if (sender === undefined || localActor(sender) !== undefined || sender instanceof RemoteRef)
    incarnation.actor.tell(message, sender)
  else relayAsk(incarnation, message, sender, standIn)
}

/** Resolves once every ask forwarded to `incarnation` has settled, or after `ms`. */
export async function relaysSettled(incarnation: Incarnation, ms: number): Promise<void> {
  if (incarnation.relays.size === 0) return
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  try {
    await Promise.race([Promise.allSettled([...incarnation.relays]), late])
  } finally {
    clearTimeout(timer)
  }
}

function relayAsk(incarnation: Incarnation, message: unknown, asker: Ref, standIn: LocalActor): void {
  const timeout = asker instanceof AskRef ? Math.max(1, asker.deadline - Date.now()) : RELAY_TIMEOUT_MS
  const relay: Promise<void> = incarnation.actor
    .ask(message, { timeout })
    .then(
      (reply) => asker.tell(reply, standIn),
      (error: unknown) => settleFailed(incarnation, message, asker, error, standIn),
    )
    .then(() => {
      incarnation.relays.delete(relay)
    })
  incarnation.relays.add(relay)
}

/**
 * A forwarded ask failed. When its actor is alive (it refused the message, say), the asker gets
 * the error. When the actor failed, the stand-in hears of it first, through its mailbox: the ask
 * the actor failed on is answered with its error from there, once the restart has begun, so that
 * what the asker sends next waits for the new incarnation; an ask the failed actor never handled
 * (answered `ActorStoppedError` by its node) goes to the new incarnation.
 */
async function settleFailed(
  incarnation: Incarnation,
  message: unknown,
  asker: Ref,
  error: unknown,
  standIn: LocalActor,
): Promise<void> {
  if (error instanceof AskTimeoutError) {
    failReply(asker, error)
    return
  }
  const failure = incarnation.failed ? { error: undefined } : await failureOf(incarnation.host)
  if (failure === undefined) {
    failReply(asker, error)
    return
  }
  const unhandled = error instanceof ActorStoppedError
  if (incarnation.failed && !unhandled) {
    // The stand-in knows already, so its restart has begun: what the asker sends next waits for it.
    failReply(asker, error)
    return
  }
  const outcome = new ActorFailedOutcome(
    incarnation.actor,
    failure.error,
    unhandled ? { message, asker } : undefined,
    unhandled ? undefined : { asker, error },
  )
  // Not through `tell`: it must not be frozen or copied, it holds the asker's live ref.
  if (standIn.stopping) outcome.settleWithout(standIn)
  else standIn.enqueueOwned(outcome, undefined)
}

/**
 * Whether the host's actor failed, and with what: its host answers after the failure if there
 * was one, since the host decided on it before the answer to the failed ask left its node.
 * `undefined` when the actor is alive, or when the host cannot say (its node is down: the
 * stand-in hears of that by its watch).
 */
async function failureOf(host: Ref): Promise<{ error: unknown } | undefined> {
  try {
    const ready = await host.ask<ChildActorReady>({ type: 'ready' }, { timeout: CHECK_TIMEOUT_MS })
    return 'error' in ready ? { error: ready.error } : undefined
  } catch {
    return undefined
  }
}

function failReply(asker: Ref, error: unknown): void {
  if (asker instanceof RefBase) asker.failReply(error)
}
