import { defineActor, type Ref, TimeoutError } from '../index.ts'
import { type Component, type ComponentContext, ERROR, OUTBOX } from './component.ts'
import { type FlowEvent, failedEvent, isFlowEvent } from './event.ts'
import type { InFlight } from './in-flight.ts'

/** What the director tells a component's actor. */
export type ComponentMessage =
  | { readonly kind: 'event'; readonly inbox: string; readonly event: FlowEvent }
  | { readonly kind: 'start'; readonly routes: Routes }
  | { readonly kind: 'stop' }

/** Where each outbox of a component leads: the actors and inboxes connected to it. */
export type Routes = ReadonlyMap<
  string,
  readonly { readonly ref: Ref<ComponentMessage>; readonly inbox: string }[]
>

/** The answer to `start` and `stop`: an error is returned, not thrown, so the actor lives on. */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown }

/** What a component's actor is spawned with. */
export interface ComponentProps {
  readonly name: string
  readonly component: Component
  /** Longest a component may take over one event before it goes to the error route. */
  readonly timeoutMs: number
  readonly inFlight: InFlight
}

interface State {
  readonly props: ComponentProps
  ctx: ComponentContext | undefined
  abort: AbortController
}

/**
 * The actor that runs one component: events one at a time, each under the component's timeout,
 * and every failure to the error route. It never fails itself: a component that throws on every
 * event leaves the graph serving the others.
 */
export const ComponentActor = defineActor<ComponentMessage, State, ComponentProps>({
  init: (props) => ({ props, ctx: undefined, abort: new AbortController() }),
  async receive(state, message, actor) {
    const props = state.props
    if (message.kind === 'start') {
      state.ctx = contextOf(props, message.routes, actor.system, actor.log, state.abort.signal)
      actor.reply(await outcome(() => props.component.start?.(state.ctx!)))
      return state
    }
    if (message.kind === 'stop') {
      state.abort.abort(new Error(`component '${props.name}' stopped`))
      actor.reply(
        await outcome(() => (state.ctx === undefined ? undefined : props.component.stop?.(state.ctx))),
      )
      return state
    }
    try {
      const ctx = state.ctx
      if (ctx === undefined || !isFlowEvent(message.event)) {
        actor.log.warn(`component '${props.name}' dropped a message that is not an event of a started graph`)
        return state
      }
      await handle(props, ctx, message.event, message.inbox)
    } finally {
      props.inFlight.done()
    }
    return state
  },
})

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
  props: ComponentProps,
  routes: Routes,
  system: ComponentContext['system'],
  log: ComponentContext['log'],
  signal: AbortSignal,
): ComponentContext {
  const { name, inFlight } = props
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
    await Promise.all(
      targets.map(async ({ ref, inbox }) => {
        inFlight.add()
        try {
          await ref.send({ kind: 'event', inbox, event })
        } catch (error) {
          inFlight.done()
          log.warn(
            { err: error, event: event.id },
            `component '${name}' could not deliver event ${event.id} on '${outbox}'`,
          )
        }
      }),
    )
  }
  return {
    name,
    system,
    log,
    signal,
    emit,
    fail: (event, error) => emit(failedEvent(event, error, name), ERROR),
    connected: (outbox) => (routes.get(outbox)?.length ?? 0) > 0,
  }
}
