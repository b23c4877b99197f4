import { type Behavior, defineActor, type HandlerBehavior } from './behavior.ts'
import type { ActorContext } from './context.ts'
import { RestartIntensityError } from './errors.ts'
import type { MailboxOptions } from './mailbox.ts'
import { type Ref, RefBase } from './ref.ts'
import { Terminated } from './signals.ts'
import { allowRestart, type Backoff, type Strategy } from './supervision.ts'
import { checkChildSpec, checkSupervisorSpec } from './supervisor-spec.ts'

/**
 * When a supervisor restarts a child (Erlang's restart types): `permanent` always, even after a
 * normal exit; `transient` only after a failure; `temporary` never.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary'

/** One child of a {@link supervisor}. */
export interface ChildSpec {
  /** The child's registered name, unique on the node. */
  name: string
  // biome-ignore lint/suspicious/noExplicitAny: children of one supervisor have unrelated message types
  behavior: Behavior<any, any>
  props?: unknown
  /** @default 'permanent' */
  restart?: RestartType
  mailbox?: MailboxOptions
  /**
   * Runs the child in a new worker thread or child process (see `SpawnOptions.in`): restarted,
   * in a new one, under the same strategy and intensity as a local child.
   */
  in?: 'thread' | 'process'
  /**
   * With `in`: more modules the child node loads (see `SpawnOptions.modules`); needed only when no
   * module exposes `behavior` with `expose(import.meta.url, { … })` before this spec is written.
   */
  modules?: readonly (string | URL)[]
}

/** An Erlang-style supervisor: a strategy, an intensity and child specs started in order. */
export interface SupervisorSpec {
  /** @default 'one-for-one' */
  strategy?: Strategy
  /** At most `intensity` restarts within `periodMs`, else the supervisor fails. @default 3 */
  intensity?: number
  /** @default 5000 */
  periodMs?: number
  backoff?: Backoff
  children: ChildSpec[]
}

/** What a supervisor answers to. */
export type SupervisorMessage =
  | { type: 'which-children' }
  | { type: 'start-child'; spec: ChildSpec }
  | { type: 'terminate-child'; name: string }

/** One line of a `which-children` reply. */
export interface ChildInfo {
  name: string
  ref: Ref
  restart: RestartType
}

interface State {
  children: Map<string, { spec: ChildSpec; ref: Ref }>
  respawns: number[]
}

/**
 * Defines an Erlang-style supervisor. Spawn it like any actor; it starts its children in order
 * and restarts them by its strategy. Ask it `{ type: 'which-children' }` for the live children.
 *
 * The spec is checked here, whole: a bad field (a child's name, behavior, restart type, mailbox,
 * `in` or modules, a duplicate name, the strategy or intensity) throws `InvalidOptionError` naming
 * the field and the child (`children[1].mailbox.capacity`), since a supervisor started from it
 * would only fail the same way on every restart. A `start-child` with a bad spec, or one whose
 * child cannot start, rejects that ask with the reason and leaves the supervisor running.
 *
 * @example
 * ```ts
 * const app = system.spawn(supervisor({
 *   strategy: 'one-for-all',
 *   children: [
 *     { name: 'db', behavior: Db },
 *     { name: 'cache', behavior: Cache, restart: 'transient' },
 *     { name: 'worker', behavior: Worker, in: 'process', modules: [import.meta.url] },
 *   ],
 * }), { name: 'app' })
 * ```
 */
export function supervisor(spec: SupervisorSpec): HandlerBehavior<SupervisorMessage, State, undefined> {
  const settings = checkSupervisorSpec(spec)
  const children = [...spec.children]
  // Child names are unique on a node, so the decider can find a child's restart type by name.
  const restartTypes = new Map<string, RestartType>()
  const startChild = (state: State, child: ChildSpec, ctx: ActorContext<SupervisorMessage>) => {
    const ref = ctx.spawn(child.behavior, {
      name: child.name,
      props: child.props,
      ...(child.mailbox === undefined ? {} : { mailbox: child.mailbox }),
      ...(child.in === undefined ? {} : { in: child.in, modules: child.modules ?? [] }),
    })
    state.children.set(child.name, { spec: child, ref })
    restartTypes.set(child.name, child.restart ?? 'permanent')
    ctx.watch(ref)
  }
  return defineActor<SupervisorMessage, State>({
    init: (_props, ctx) => {
      const state: State = { children: new Map(), respawns: [] }
      for (const child of children) startChild(state, child, ctx)
      return state
    },
    receive(state, message, ctx) {
      switch (message.type) {
        case 'which-children':
          ctx.reply(
            [...state.children.values()].map(({ spec: s, ref }) => ({
              name: s.name,
              ref,
              restart: s.restart ?? 'permanent',
            })),
          )
          break
        case 'start-child':
          try {
            checkChildSpec(message.spec)
            startChild(state, message.spec, ctx)
          } catch (error) {
            // Erlang's start_child answers {error, Reason}: the supervisor itself goes on.
            refuse(ctx, error)
            break
          }
          ctx.reply(state.children.get(message.spec.name)?.ref)
          break
        case 'terminate-child': {
          const entry = state.children.get(message.name)
          state.children.delete(message.name)
          if (entry !== undefined) {
            ctx.unwatch(entry.ref)
            ctx.stop(entry.ref)
          }
          ctx.reply(entry !== undefined)
          break
        }
        default:
          ctx.unhandled()
      }
      return state
    },
    signal(state, signal, ctx) {
      if (!(signal instanceof Terminated)) return state
      const entry = state.children.get(signal.ref.name)
      if (entry === undefined || !entry.ref.equals(signal.ref)) return state
      state.children.delete(signal.ref.name)
      // Failures were handled by the decider (restarted in place); a permanent child that
      // exited normally is started again, and counts against the intensity.
      if (signal.reason === 'normal' && (entry.spec.restart ?? 'permanent') === 'permanent') {
        if (!allowRestart(state.respawns, settings, Date.now())) {
          throw new RestartIntensityError(
            ctx.self.path,
            settings.maxRestarts,
            settings.withinMs,
            'normal exit',
          )
        }
        startChild(state, entry.spec, ctx)
      }
      return state
    },
    supervision: {
      strategy: settings.strategy,
      maxRestarts: settings.maxRestarts,
      withinMs: settings.withinMs,
      ...(settings.backoff === undefined ? {} : { backoff: settings.backoff }),
      decide: (_error, child) => (restartTypes.get(child.name) === 'temporary' ? 'stop' : 'restart'),
    },
  })
}

/** Fails the ask being handled with `error`, or logs it when the message was told. */
function refuse(ctx: ActorContext<SupervisorMessage>, error: unknown): void {
  if (ctx.sender instanceof RefBase) ctx.sender.failReply(error)
  else
    ctx.log.warn(
      { err: error },
      `start-child refused: ${error instanceof Error ? error.message : String(error)}`,
    )
}
