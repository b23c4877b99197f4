import { type ActorContext, type ActorSystem, defineActor, expose, type Ref, TimeoutError } from '../index.ts'
import type { Backlog } from './backlog.ts'
import { type Component, type ComponentContext, OUTBOX } from './component.ts'
import { contextOf, DELIVERED } from './component-context.ts'
import { DeadlineTimer } from './deadline-timer.ts'
import { type FlowEvent, isFlowEvent } from './event.ts'
import { componentFromRecipe } from './placement.ts'
import type { ComponentRecipe } from './recipes.ts'

/** What the director tells a component's actor. */
export type ComponentMessage =
  /** An event; `ack`: the sender holds a credit window and waits for the answer (see credit-window.ts). */
  | { readonly kind: 'event'; readonly inbox: string; readonly event: FlowEvent; readonly ack?: true }
  | { readonly kind: 'start'; readonly routes: Routes }
  | { readonly kind: 'stop' }
  /** Asks for the actor's {@link Counts}. */
  | { readonly kind: 'count' }

/** One inbox an outbox leads to. */
export interface Target {
  readonly ref: Ref<ComponentMessage>
  readonly inbox: string
  /** Events this sender may have on their way to it (its capacity), when one of the two is placed elsewhere. */
  readonly window?: number
  /** The target's `timeoutMs`, with `window`. */
  readonly timeoutMs?: number
}

/** Where each outbox of a component leads, as pairs (a message carries them to any node as they are). */
export type Routes = readonly (readonly [outbox: string, targets: readonly Target[]])[]

/** The answer to `start` and `stop`: an error is returned, not thrown, so the actor lives on. */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown }

/**
 * What a component's actor has done, counted from its start: events it began to send (`sent`),
 * those that could not be delivered (`dropped`) and events it finished (`handled`). Over a whole
 * graph, what is sent and neither dropped nor handled is in flight, wherever the components run.
 */
export interface Counts {
  readonly sent: number
  readonly dropped: number
  readonly handled: number
}

/** What the actor of a component runs: the component and its timeout. */
export interface ComponentProps {
  readonly name: string
  readonly component: Component
  /** Longest a component may take over one event before it goes to the error route. */
  readonly timeoutMs: number
}

/**
 * What a component's actor is spawned with: the component itself when it runs here, else the
 * recipe it is made from where it runs.
 */
export interface PlacedProps {
  readonly name: string
  readonly timeoutMs: number
  readonly component?: Component
  readonly recipe?: ComponentRecipe
  /** Where an actor in the director's thread keeps its counts, for the director to read at once. */
  readonly counts?: MutableCounts
  /** An actor in the director's thread: what that thread's senders have queued in its inbox (see backlog.ts). */
  readonly backlog?: Backlog
  /** An actor in the director's thread: the backlogs of the components it may send to, by their refs. */
  readonly backlogs?: ReadonlyMap<Ref, Backlog>
}

/** {@link Counts} as the actor keeps them. */
export type MutableCounts = { -readonly [K in keyof Counts]: Counts[K] }

interface State {
  readonly placed: PlacedProps
  props: ComponentProps | undefined
  ctx: ComponentContext | undefined
  abort: AbortController
  readonly counts: MutableCounts
  /** The deadlines of the events whose handling did not end at once. */
  readonly deadlines: DeadlineTimer
}

type Context = ActorContext<ComponentMessage>

/**
 * The actor that runs one component: events one at a time, each under the component's timeout,
 * and every failure to the error route. It never fails itself: a component that throws on every
 * event leaves the graph serving the others. Its `receive` is not an `async` function (which
 * would make every event a promise, and enable the async context it runs in): an event whose
 * handling ends at once is done in the same turn, and only one that does not is awaited.
 */
export const ComponentActor = defineActor<ComponentMessage, State, PlacedProps>({
  init: (placed) => ({
    placed,
    props: undefined,
    ctx: undefined,
    abort: new AbortController(),
    counts: placed.counts ?? { sent: 0, dropped: 0, handled: 0 },
    deadlines: new DeadlineTimer(placed.timeoutMs),
  }),
  receive(state, message, actor) {
    switch (message.kind) {
      case 'start':
        return startComponent(state, message.routes, actor)
      case 'stop':
        return stopComponent(state, actor)
      case 'count':
        actor.reply({ ...state.counts } satisfies Counts)
        return state
    }
    // Events with `ack` come from senders elsewhere, which the backlog does not count.
    const backlog = state.placed.backlog
    if (backlog !== undefined && message.ack !== true) backlog.queued--
    const ctx = state.ctx
    if (ctx === undefined || state.props === undefined || !isFlowEvent(message.event)) {
      actor.log.warn(
        `component '${state.placed.name}' dropped a message that is not an event of a started graph`,
      )
      return handled(state, message, actor)
    }
    const work = handle(state.props, ctx, message.event, message.inbox, state.deadlines)
    if (work === undefined) return handled(state, message, actor)
    return work.then(() => handled(state, message, actor))
  },
})

/** An event is done with: counted, and its sender's credit (when it holds a window) given back. */
function handled(state: State, message: ComponentMessage & { kind: 'event' }, actor: Context): State {
  state.counts.handled++
  if (message.ack === true) actor.reply(true)
  return state
}

async function startComponent(state: State, routes: Routes, actor: Context): Promise<State> {
  actor.reply(
    await outcome(async () => {
      const { name, timeoutMs, recipe } = state.placed
      const component = state.placed.component ?? (await componentFromRecipe(recipe!))
      state.props = { name, timeoutMs, component }
      const parts = {
        name,
        system: actor.system,
        log: actor.log,
        signal: state.abort.signal,
        counts: state.counts,
        backlogs: state.placed.backlogs,
      }
      state.ctx = contextOf(parts, new Map(routes))
      await component.start?.(state.ctx)
    }),
  )
  return state
}

async function stopComponent(state: State, actor: Context): Promise<State> {
  state.abort.abort(new Error(`component '${state.placed.name}' stopped`))
  // From now on an event sent here is sent with `send`, which rejects once the actor is gone.
  if (state.placed.backlog !== undefined) state.placed.backlog.open = false
  actor.reply(
    await outcome(() => (state.ctx === undefined ? undefined : state.props?.component.stop?.(state.ctx))),
  )
  return state
}

// Where a child thread or process finds the definition (`{ in }`): it loads this module.
expose(import.meta.url, { ComponentActor })

/** The name under which nodes expose the actor of components placed on them (`{ on }`). */
export const COMPONENT_ACTOR = 'troupe.flow.Component'

/**
 * Lets directors on other nodes place components on `system` (`{ on: system.node }`): it exposes
 * the actor that runs them. The components come as recipes: built-ins made from plain data and
 * graph-file entries are made here; a component that a module exposes needs that module loaded here.
 *
 * @example
 * ```ts
 * const worker = await start({ node: 'worker@127.0.0.1:4000', cookie })
 * hostComponents(worker)
 * ```
 */
export function hostComponents(system: ActorSystem): void {
  system.expose({ [COMPONENT_ACTOR]: ComponentActor })
}

/**
 * Hands `event` to the component; `undefined` when that ended at once (the usual case: a sync
 * `receive` whose emits had room), else a promise that settles once it ended, failed or timed out.
 * Never rejects: failures go to the error route.
 */
function handle(
  props: ComponentProps,
  ctx: ComponentContext,
  event: FlowEvent,
  inbox: string,
  deadlines: DeadlineTimer,
): Promise<void> | undefined {
  const { component } = props
  let work: unknown
  try {
    work = component.receive === undefined ? ctx.emit(event, OUTBOX) : component.receive(event, ctx, inbox)
  } catch (error) {
    return unlessDelivered(ctx.fail(event, error))
  }
  if (work === undefined || work === DELIVERED) return undefined
  if (typeof (work as PromiseLike<void> | null)?.then !== 'function') return undefined
  return within(work as PromiseLike<void>, props, ctx, event, deadlines)
}

const unlessDelivered = (sent: Promise<void>): Promise<void> | undefined =>
  sent === DELIVERED ? undefined : sent

/** Waits for `work` for up to the component's timeout; a failure or the timeout goes to the error route. */
function within(
  work: PromiseLike<void>,
  props: ComponentProps,
  ctx: ComponentContext,
  event: FlowEvent,
  deadlines: DeadlineTimer,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const deadline = deadlines.start(() => {
      const { name, timeoutMs } = props
      const late = new TimeoutError(
        timeoutMs,
        `component '${name}' took over ${timeoutMs} ms on event ${event.id}`,
      )
      resolve(ctx.fail(event, late))
    })
    work.then(
      () => {
        if (deadline.cancel()) resolve()
      },
      (error: unknown) => {
        if (deadline.cancel()) resolve(ctx.fail(event, error))
      },
    )
  })
}

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    await run()
    return { ok: true }
  } catch (error) {
    return { ok: false, error }
  }
}
