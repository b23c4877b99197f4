import type { Logger } from 'pino'
import { type Behavior, defineActor } from '../../core/behavior.ts'
import type { ActorContext } from '../../core/context.ts'
import { describeError } from '../../core/describe-error.ts'
import { ActorStoppedError, InvalidOptionError } from '../../core/errors.ts'
import type { ChildActorHooks, ChildActorRequest, LocalActor } from '../../core/internal.ts'
import { type Ref, RefBase } from '../../core/ref.ts'
import { Terminated } from '../../core/signals.ts'
import type { ActorSystem } from '../../core/system.ts'
import { NodeDownError } from '../node/errors.ts'
import { RemoteActorError } from '../portal/remote-actor-error.ts'
import { placeOfDefinition } from './child-actor-definition.ts'
import { type ChildActorHostProps, type ChildActorReady, TroupeChildActorHost } from './child-actor-host.ts'
import {
  ActorFailedOutcome,
  forward,
  type Incarnation,
  relaysSettled,
  type UndeliveredAsk,
} from './child-actor-relay.ts'
import { type ChildExit, type ChildNode, startChildNode } from './child-node.ts'

const HOST = 'TroupeChildActorHost'
const hostModule = new URL(
  import.meta.url.endsWith('.ts') ? './child-actor-host.ts' : './child-actor-host.js',
  import.meta.url,
).href

/** How long a starting child node has to answer that its actor runs. */
const READY_TIMEOUT_MS = 30_000
/** How long an ending incarnation waits for the answers to the asks forwarded to it. */
const RELAYS_WAIT_MS = 2_000
/** How long a node-down failure waits for the child's exit status, to say how it ended. */
const EXIT_WAIT_MS = 250

interface StandInState {
  /** The child node once started; `starting` while it starts. */
  child: ChildNode | undefined
  starting: Promise<ChildNode> | undefined
  exit: ChildExit | undefined
  /** The actor on the child node and its host, once it runs. */
  incarnation: Incarnation | undefined
  /** Set when this incarnation ends (restart or stop): a start still under way gives up. */
  ended: boolean
}

/** Lets `spawn(def, { in })` run actors on new child nodes of `system`. */
export function childActorsOf(system: ActorSystem): ChildActorHooks {
  return { standIn: (request) => standIn(system, request) }
}

/**
 * The stand-in of an actor that runs on a child node: it holds the actor's name and ref here
 * and is what the local supervisor supervises. Each incarnation starts a child node, starts the
 * actor there and watches it; messages wait in the stand-in's mailbox until it runs, then go
 * straight through (an ask's reply goes straight back to the asker). When the actor fails or its
 * node dies, the stand-in fails with a `RemoteActorError` or a `NodeDownError`, so the
 * supervisor's strategy, intensity and backoff apply as to a local actor; a restart starts a new
 * node. A failure that a forwarded ask shows first reaches the stand-in before that asker (see
 * `child-actor-relay.ts`). Ending an incarnation waits briefly for the answers to the asks it was
 * forwarded, then stops its node, gracefully, then by force. A definition that the child node
 * cannot find (an `InvalidOptionError`) is no crash: the stand-in stops with it, not restarted.
 */
function standIn(system: ActorSystem, request: ChildActorRequest): Behavior<unknown, unknown> {
  const place = placeOfDefinition(system, request)
  const modules = place.modules
  // Asks the last incarnation failed without handling, kept across the restart for the next one.
  const undelivered: UndeliveredAsk[] = []
  system.expose({ [HOST]: TroupeChildActorHost })

  /** Starts the actor on a new child node and watches it: one incarnation. */
  async function startIncarnation(state: StandInState, ctx: ActorContext<unknown>): Promise<void> {
    const { definition, module } = await place.name()
    if (state.ended) return
    const base = ctx.self.name.startsWith('$') ? `actor-${ctx.self.name.slice(1)}` : ctx.self.name
    state.starting = startChildNode(system, {
      in: request.in,
      name: base.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60),
      modules: [...modules, hostModule],
    })
    const child = await state.starting
    state.child = child
    void child.exited.then((exit) => {
      state.exit = exit
    })
    if (state.ended) return
    // Derived names: with a cluster registry, the user's name belongs to the stand-in.
    const props: ChildActorHostProps = {
      definition,
      ...(module === undefined ? {} : { module }),
      name: `${base}.actor`,
      props: request.props,
      modules,
    }
    const host = system.spawn(TroupeChildActorHost, { on: child.node, name: `${base}.host`, props })
    const ready = await host.ask<ChildActorReady>({ type: 'ready' }, { timeout: READY_TIMEOUT_MS })
    if (state.ended) return
    if ('missing' in ready) throw new InvalidOptionError('in', ready.missing)
    if ('error' in ready) throw new RemoteActorError(ready.error, `${host.address}/${base}.actor`)
    const incarnation: Incarnation = { actor: ready.actor, host, failed: false, relays: new Set() }
    state.incarnation = incarnation
    ctx.watch(ready.actor)
    // What the last incarnation failed without handling comes before what waited for this one.
    for (const ask of undelivered.splice(0))
      forward(incarnation, ask.message, ask.asker, ctx.self as LocalActor)
  }

  return defineActor<unknown, StandInState, unknown>({
    init: () => ({
      child: undefined,
      starting: undefined,
      exit: undefined,
      incarnation: undefined,
      ended: false,
    }),
    async started(state, ctx) {
      try {
        await startIncarnation(state, ctx)
      } catch (error) {
        // A definition that cannot be found stays so: a restart would only fail the same way.
        if (!(error instanceof InvalidOptionError)) throw error
        for (const ask of undelivered.splice(0)) failReply(ask.asker, error)
        stopForGood(ctx.self as LocalActor, ctx.log, error)
      }
    },
    // The actor's own snapshot, from its child node: the stand-in has no state worth showing.
    snapshot: (state) =>
      state.incarnation === undefined
        ? Promise.reject(new ActorStoppedError(`${request.in} child of ${system.node} (starting)`))
        : system.snapshot(state.incarnation.actor),
    receive(state, message, ctx) {
      const incarnation = state.incarnation
      // Never undefined here: `started` holds the mailbox until the actor runs.
      if (incarnation === undefined) throw new ActorStoppedError(ctx.self.address)
      if (!(message instanceof ActorFailedOutcome)) {
        forward(incarnation, message, ctx.sender, ctx.self as LocalActor)
        return state
      }
      const asker = message.failedAsk
      if (!message.actor.equals(incarnation.actor)) {
        // An outcome of an incarnation that has ended already: settle it with this one.
        if (message.undelivered !== undefined)
          forward(incarnation, message.undelivered.message, message.undelivered.asker, ctx.self as LocalActor)
        if (asker !== undefined) failReply(asker.asker, asker.error)
        return state
      }
      incarnation.failed = true
      if (message.undelivered !== undefined) undelivered.push(message.undelivered)
      // Told now, it hears of it after the throw below has begun the restart.
      if (asker !== undefined) failReply(asker.asker, asker.error)
      throw new RemoteActorError(message.failure, incarnation.actor.address)
    },
    async signal(state, signal, ctx) {
      const incarnation = state.incarnation
      if (
        !(signal instanceof Terminated) ||
        incarnation === undefined ||
        !signal.ref.equals(incarnation.actor)
      )
        return state
      switch (signal.reason) {
        case 'normal':
          ctx.stop()
          return state
        case 'failed':
          incarnation.failed = true
          throw new RemoteActorError(signal.error, signal.ref.address)
        case 'node-down': {
          const child = state.child!
          const exit = state.exit ?? (await exitWithin(child, EXIT_WAIT_MS))
          throw new NodeDownError(child.node, describeExit(child, exit))
        }
        default:
          throw new ActorStoppedError(signal.ref.address)
      }
    },
    async stopped(state, ctx, reason) {
      state.ended = true
      const incarnation = state.incarnation
      if (incarnation !== undefined) {
        ctx.unwatch(incarnation.actor)
        // Their answers come over the node's connection: stopping it first would fail them all.
        await relaysSettled(incarnation, RELAYS_WAIT_MS)
      }
      if (reason !== 'restart') {
        for (const ask of undelivered.splice(0)) failReply(ask.asker, new ActorStoppedError(ctx.self.address))
      }
      const child = state.child ?? (await state.starting?.catch(() => undefined))
      await child?.stop()
    },
  })
}

/**
 * Stops the stand-in with `error` as its reason, bypassing its supervisor: the asks waiting in its
 * mailbox reject with `error` (they would otherwise wait out their timeouts across restarts that
 * all fail the same way), and its watchers get `Terminated` with reason `failed` and `error`.
 */
function stopForGood(standIn: LocalActor, log: Logger, error: InvalidOptionError): void {
  log.error(
    { err: error },
    `${standIn.path} cannot start and is stopped, not restarted: ${describeError(error)}`,
  )
  standIn.stopForGood(error)
}

function failReply(asker: Ref, error: unknown): void {
  if (asker instanceof RefBase) asker.failReply(error)
}

async function exitWithin(child: ChildNode, ms: number): Promise<ChildExit | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  try {
    return await Promise.race([child.exited, late])
  } finally {
    clearTimeout(timer)
  }
}

function describeExit(child: ChildNode, exit: ChildExit | undefined): string {
  const what = child.in === 'process' ? `child process ${child.id}` : `worker thread ${child.id}`
  if (exit === undefined) return `the connection to its ${what} was lost`
  if (exit.signal !== null) return `its ${what} was killed by ${exit.signal}`
  return `its ${what} exited with code ${exit.code}`
}
