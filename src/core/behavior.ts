import type { ActorContext, ProcessContext } from './context.ts'
import type { StopReason } from './inspection.ts'
import type { MailboxOptions } from './mailbox.ts'
import type { Signal } from './signals.ts'
import type { SupervisionOptions } from './supervision.ts'

/** What a handler returns: the next state (stateless actors may return nothing). */
// biome-ignore lint/suspicious/noConfusingVoidType: lets a stateless handler be a plain or async function returning nothing
export type NextState<S> = undefined extends S ? S | void | Promise<S | void> : S | Promise<S>

/** A handler-style actor: state in, state out, typed messages. */
export interface ActorDefinition<M, S, P = undefined> {
  /** Builds the initial state; runs at spawn and at every restart. */
  init?: (props: P, ctx: ActorContext<M>) => S
  /**
   * Handles one message and returns the next state. A returned promise holds the mailbox
   * until it settles. A throw fails the actor and its supervisor decides.
   */
  receive: (state: S, message: M, ctx: ActorContext<M>) => NextState<S>
  /** Runs after `init`, before the first message; a returned promise holds the mailbox. */
  started?: (state: S, ctx: ActorContext<M>) => void | Promise<void>
  /** Runs once when the actor stops or before a restart, after its children have stopped. */
  stopped?: (state: S, ctx: ActorContext<M>, reason: StopReason | 'restart') => void | Promise<void>
  /** Handles `Terminated` of watched actors and, with `trapExit`, `Exit` of linked ones. */
  signal?: (state: S, signal: Signal, ctx: ActorContext<M>) => NextState<S>
  /**
   * What `system.snapshot(ref)` (and the gateway's `GET /actors/:name`) shows of the actor: a
   * plain value made from its state. It runs in the actor's turn, between two messages, so it
   * sees a consistent state; without it, the actor gives no snapshot (`NoSnapshotError`).
   */
  snapshot?: (state: S) => unknown
  /** Runs for a message marked with `ctx.unhandled()`, before it goes to dead letters. */
  unhandled?: (message: M, ctx: ActorContext<M>) => void
  /** How this actor supervises the children it spawns. */
  supervision?: SupervisionOptions
  /** This actor's mailbox; `SpawnOptions.mailbox` overrides it. */
  mailbox?: MailboxOptions
  /** Receive `Exit` signals from failing linked actors instead of failing with them. */
  trapExit?: boolean
}

/** A process-style actor: an async function that takes its messages with `self.receive`. Returning stops it normally. */
export type ProcessFunction<M, P = undefined> = (self: ProcessContext<M>, props: P) => Promise<unknown>

/** A handler-style actor definition made by {@link defineActor}. */
export interface HandlerBehavior<M, S, P> {
  readonly kind: 'handler'
  readonly definition: ActorDefinition<M, S, P>
}

/** A process-style actor made by {@link defineProcess}, with its own defaults. */
export interface ProcessBehavior<M, P> {
  readonly kind: 'process'
  readonly run: ProcessFunction<M, P>
  readonly options: ProcessDefaults
}

/** Defaults of a process-style actor. */
export interface ProcessDefaults {
  supervision?: SupervisionOptions
  mailbox?: MailboxOptions
  trapExit?: boolean
}

/** Anything `spawn` accepts. */
export type Behavior<M, P = undefined> =
  // biome-ignore lint/suspicious/noExplicitAny: the state type is the definition's own business
  HandlerBehavior<M, any, P> | ProcessBehavior<M, P> | ProcessFunction<M, P>

/** Any behavior whatever its message and props types, as registries of behaviors hold them. */
export type AnyBehavior = Behavior<never, never>

/** Options of `spawn`. */
export interface SpawnOptions<P = undefined> {
  /**
   * The actor's name: the last segment of its path, registered on this node so that
   * `findActor(name)` finds it. Unique per node. Generated (`$…`) when not given.
   */
  name?: string
  /** Handed to `init` (handler actors) or as the second argument (process actors). */
  props?: P
  /** Overrides the definition's mailbox settings. */
  mailbox?: MailboxOptions
  /**
   * The node to start the actor on (`name@host:port`), which must expose the definition
   * (`system.expose`); the returned ref is usable at once. Defaults to this node. When that node
   * refuses the spawn, asks to the ref reject with its reason (`RemoteSpawnError`), even those
   * sent before it answered, and watchers get `Terminated` with reason `failed` and that error.
   */
  on?: string
  /**
   * Runs the actor in a new worker thread or child process, supervised here like a local child.
   * A local stand-in holds the name and the ref and forwards every message (an ask's reply goes
   * straight back to the asker). When the actor throws or its thread or process dies, the
   * stand-in fails with `RemoteActorError` or `NodeDownError`, and its supervisor's strategy,
   * decider, intensity and backoff apply as to a local actor: a restart starts a new child node
   * and the actor again. Messages sent during the restart wait and are delivered after it. The
   * asker of the message the actor failed on gets its error once the restart has begun, so what
   * it sends next goes to the new actor; asks that reached the old actor after it failed go to the
   * new one too, while tells that did are lost (as between any two nodes). A crash is never
   * reported as `NodeDownError`. The ref stays valid across restarts, unlike Akka's remote
   * deployment, where the ref dies with the remote actor. Stopping the actor stops its child node.
   * Not with `on`. On the child node the actor is named `<name>.actor`, under `<name>.host`, so that
   * a cluster registry keeps `<name>` for the stand-in.
   *
   * The child node must find the definition: expose it at the top level of its module, before
   * `start()` (`expose(import.meta.url, { Worker })`), and the child loads that module and finds it
   * under that name, even when the module is the program itself and its top level stops at
   * `start()` there; or give `modules`. When neither says where the definition is, `spawn` throws
   * `InvalidOptionError` at once. When the child cannot find it (a module that exposes it only after
   * `start()`, `modules` that do not export it), the actor stops with that `InvalidOptionError`
   * instead of being restarted: the asks sent to it reject with it, and watchers get `Terminated`
   * with reason `failed` and it as `error`.
   * @default the actor runs in this thread
   *
   * @example
   * ```ts
   * const Worker = defineActor<WorkerMsg, State>({ ... })
   * expose(import.meta.url, { Worker }) // before start(): a child node loads this module up to there
   * const system = await start()
   * const worker = system.spawn(Worker, { name: 'worker', in: 'process' })
   * ```
   */
  in?: 'thread' | 'process'
  /**
   * With `in`: more modules the child node loads, as file URLs (`import.meta.url`). Needed only for
   * a definition that no module exposes with `expose(import.meta.url, { … })`: one of the modules
   * must then export it, and the child finds it by its export name. This node learns that name by
   * importing the modules, or from `system.expose({ Worker })`, which a module that spawns during
   * its own top-level code (`await main()`) needs, since it cannot be imported yet.
   * @default the module that exposes the definition
   */
  modules?: readonly (string | URL)[]
}

/**
 * Defines a handler-style actor.
 *
 * @example
 * ```ts
 * type Msg = { type: 'inc'; by: number } | { type: 'get' }
 * const Counter = defineActor<Msg, { n: number }>({
 *   init: () => ({ n: 0 }),
 *   receive(state, msg, ctx) {
 *     if (msg.type === 'inc') return { n: state.n + msg.by }
 *     ctx.reply(state.n)
 *     return state
 *   },
 * })
 * ```
 */
export function defineActor<M, S = undefined, P = undefined>(
  definition: ActorDefinition<M, S, P>,
): HandlerBehavior<M, S, P> {
  return { kind: 'handler', definition }
}

/**
 * Defines a process-style actor with defaults (supervision of its children, mailbox, trapExit).
 * A bare async function can be spawned too.
 *
 * @example
 * ```ts
 * const Echo = defineProcess<string>(async (self) => {
 *   for (;;) self.reply(await self.receive())
 * })
 * ```
 */
export function defineProcess<M, P = undefined>(
  run: ProcessFunction<M, P>,
  options: ProcessDefaults = {},
): ProcessBehavior<M, P> {
  return { kind: 'process', run, options }
}
