import { type ActorSystem, AskTimeoutError, defineActor, expose, type Ref, TimeoutError } from '../index.ts'
import { type Component, type ComponentContext, ERROR, OUTBOX } from './component.ts'
import { answerWithinMs, CreditWindow } from './credit-window.ts'
import { type FlowEvent, failedEvent, isFlowEvent } from './event.ts'
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
}

/** {@link Counts} as the actor keeps them. */
export type MutableCounts = { -readonly [K in keyof Counts]: Counts[K] }

interface State {
  readonly placed: PlacedProps
  props: ComponentProps | undefined
  ctx: ComponentContext | undefined
  abort: AbortController
  readonly counts: MutableCounts
}

/**
 * The actor that runs one component: events one at a time, each under the component's timeout,
 * and every failure to the error route. It never fails itself: a component that throws on every
 * event leaves the graph serving the others.
 */
export const ComponentActor = defineActor<ComponentMessage, State, PlacedProps>({
  init: (placed) => ({
    placed,
    props: undefined,
    ctx: undefined,
    abort: new AbortController(),
    counts: placed.counts ?? { sent: 0, dropped: 0, handled: 0 },
  }),
  async receive(state, message, actor) {
    switch (message.kind) {
      case 'start':
        actor.reply(
          await outcome(async () => {
            const { name, timeoutMs, recipe } = state.placed
            const component = state.placed.component ?? (await componentFromRecipe(recipe!))
            state.props = { name, timeoutMs, component }
            state.ctx = contextOf(state, new Map(message.routes), actor.system, actor.log)
            await component.start?.(state.ctx)
          }),
        )
        return state
      case 'stop':
        state.abort.abort(new Error(`component '${state.placed.name}' stopped`))
        actor.reply(
          await outcome(() =>
            state.ctx === undefined ? undefined : state.props?.component.stop?.(state.ctx),
          ),
        )
        return state
      case 'count':
        actor.reply({ ...state.counts } satisfies Counts)
        return state
    }
    try {
      const ctx = state.ctx
      if (ctx === undefined || state.props === undefined || !isFlowEvent(message.event)) {
        actor.log.warn(
          `component '${state.placed.name}' dropped a message that is not an event of a started graph`,
        )
        return state
      }
      await handle(state.props, ctx, message.event, message.inbox)
    } finally {
      state.counts.handled++
      if (message.ack === true) actor.reply(true)
    }
    return state
  },
})

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

async function handle(
  props: ComponentProps,
  ctx: ComponentContext,
  event: FlowEvent,
  inbox: string,
): Promise<void> {
  const { component, timeoutMs } = props
  let timer: NodeJS.Timeout | undefined
  try {
    const work =
      component.receive === undefined ? ctx.emit(event, OUTBOX) : component.receive(event, ctx, inbox)
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              timeoutMs,
              `component '${props.name}' took over ${timeoutMs} ms on event ${event.id}`,
            ),
          ),
        timeoutMs,
      )
    })
    await Promise.race([work, late])
  } catch (error) {
    await ctx.fail(event, error)
  } finally {
    clearTimeout(timer)
  }
}

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    await run()
    return { ok: true }
  } catch (error) {
    return { ok: false, error }
  }
}

function contextOf(
  state: State,
  routes: ReadonlyMap<string, readonly Target[]>,
  system: ActorSystem,
  log: ComponentContext['log'],
): ComponentContext {
  const { name } = state.placed
  const counts = state.counts
  const windows = new Map<Target, CreditWindow>()
  for (const targets of routes.values())
    for (const target of targets)
      if (target.window !== undefined) windows.set(target, new CreditWindow(target.window))
  const emit = async (event: FlowEvent, outbox: string = OUTBOX): Promise<void> => {
    const targets = routes.get(outbox)
    if (targets === undefined || targets.length === 0) {
      if (event.error !== undefined)
        log.error(
          { event: event.id, error: event.error },
          `component '${event.error.component}' failed on event ${event.id}: ${event.error.name}: ${event.error.message} (no error route from '${name}')`,
        )
      return
    }
    const lost = (error: unknown): void => {
      counts.dropped++
      log.warn(
        { err: error, event: event.id },
        `component '${name}' could not deliver event ${event.id} on '${outbox}'`,
      )
    }
    await Promise.all(
      targets.map(async (target) => {
        // Counted before the send: an event waiting for room in a full inbox is in flight.
        counts.sent++
        const window = windows.get(target)
        if (window === undefined)
          return target.ref.send({ kind: 'event', inbox: target.inbox, event }).catch(lost)
        await window.acquire()
        target.ref
          .ask(
            { kind: 'event', inbox: target.inbox, event, ack: true },
            {
              timeout: answerWithinMs(target.timeoutMs ?? 30_000, target.window!),
            },
          )
          .then(
            () => window.release(),
            (error: unknown) => {
              window.release()
              // Late is not lost: the component still counts it once handled.
              if (!(error instanceof AskTimeoutError)) lost(error)
            },
          )
      }),
    )
  }
  return {
    name,
    system,
    log,
    signal: state.abort.signal,
    emit,
    fail: (event, error) => emit(failedEvent(event, error, name), ERROR),
    connected: (outbox) => (routes.get(outbox)?.length ?? 0) > 0,
  }
}
