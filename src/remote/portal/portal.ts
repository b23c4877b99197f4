import { currentSignal } from '../../concurrency/cancel-scope.ts'
import type { ActorPortal, OpenOptions, RunOptions, StreamOptions } from '../../core/actor-portal.ts'
import { InvalidOptionError } from '../../core/errors.ts'
import type {
  CallArgs,
  ContextArgs,
  ContextFunction,
  ContextOf,
  RunResult,
  StreamableFunction,
  StreamItem,
} from '../../core/function-ref.ts'
import type { StopReason } from '../../core/inspection.ts'
import { type AskOptions, type LocalActorHandle, type Ref, RefBase } from '../../core/ref.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { RemoteNode } from '../node/remote-node.ts'
import { remoteNodeOf } from '../node/remote-node-of.ts'
import { RemoteRef } from '../node/remote-ref.ts'
import { type ExposableFunction, exposedFunction, type FunctionRef, runExposed } from './exposed-functions.ts'
import { openLocalContext } from './local-context.ts'
import { LocalStream } from './local-stream.ts'
import { portalCall } from './portal-call.ts'

/**
 * Options of {@link portalOf}: the defaults of every call of the portal, which a call's own
 * options (`run(fn, args, { timeout })`, `stream(fn, args, { window })`) override one by one.
 */
export interface PortalOptions {
  /**
   * How long `run` waits for a remote function's result before it rejects with `AskTimeoutError`.
   * @default the system's ask timeout
   */
  timeout?: number
  /**
   * Aborting it cancels pending `run`s, open `stream`s and contexts (`open`): they reject with its
   * reason, and the remote function's `currentSignal()` aborts. Without it, the ambient cancel
   * scope at the time of the call does (`moveOnAfter`, a nursery, …).
   */
  signal?: AbortSignal
  /**
   * How many items of a `stream` the remote generator may run ahead of the loop that consumes
   * them: it is pulled only while it has credit, and the caller grants credit back every half
   * window consumed. Per call: `portal.stream(fn, args, { window: 8 })`. A context
   * (`open`) has this window each way: a side sends at most this many values the other has not read.
   * @default 1024
   */
  window?: number
}

export type { ContextArgs, ContextFunction, ContextOf, RunResult, StreamableFunction }

/**
 * A ref to an actor, possibly on another node, that can also `run`, `stream` and `open` the
 * functions the actor's node exposes (see `expose`), with `currentActor()` naming the actor while
 * they run. Tell, ask, watch and link go to the actor as through its ref.
 */
export class Portal<M = unknown> extends RefBase<M> {
  constructor(
    private readonly system: ActorSystem,
    /** The ref the portal stands for. */
    readonly ref: Ref<M>,
    private readonly options: PortalOptions = {},
  ) {
    super()
  }

  get address(): string {
    return this.ref.address
  }

  get path(): string {
    return this.ref.path
  }

  get name(): string {
    return this.ref.name
  }

  tell(message: M, sender?: Ref): void {
    this.ref.tell(message, sender)
  }

  ask<R = unknown>(message: M, options?: AskOptions): Promise<R> {
    return this.ref.ask<R>(message, options)
  }

  send(message: M, options?: { signal?: AbortSignal }): Promise<void> {
    return this.ref.send(message, options)
  }

  override addWatcher(watcher: LocalActorHandle): void {
    this.inner().addWatcher(watcher)
  }

  override removeWatcher(watcher: LocalActorHandle): void {
    this.inner().removeWatcher(watcher)
  }

  override addLink(actor: LocalActorHandle): void {
    this.inner().addLink(actor)
  }

  override removeLink(actor: LocalActorHandle, exit?: { reason: StopReason; error: unknown }): void {
    this.inner().removeLink(actor, exit)
  }

  /**
   * Runs the exposed function `fn` with `args` (one array, left out for a function of no
   * arguments) on the actor's node, as the actor, and resolves with its result. What it throws on
   * another node rejects as `RemoteActorError` (its `cause` the original error); a function that
   * node does not expose rejects as a `RemoteActorError` whose cause is a `NotExposedError`. A lost
   * node rejects with `NodeDownError`, a slow one with `AskTimeoutError` (`options.timeout`),
   * arguments too large for a frame with `MessageTooLargeError` (a result too large, with a
   * `RemoteActorError` whose cause it is). On this node, the function runs here and its own error
   * rejects. `options` override the portal's.
   *
   * @example
   * ```ts
   * const greeting = await portal.run(lines.sayHello, ['gretchen'])
   * const where = await portal.run(lines.hi, [], { timeout: 2_000 })
   * ```
   */
  run<F extends ExposableFunction>(
    fn: FunctionRef<F>,
    ...call: CallArgs<Parameters<F>, RunOptions>
  ): Promise<RunResult<F>> {
    try {
      const { args, timeout, signal } = portalCall('run', fn, call, this.options)
      const ref = this.ref
      if (ref instanceof RemoteRef && ref.node !== this.system.node) {
        return this.remoteFor(ref).call<RunResult<F>>(ref, fn.module, fn.name, args, { timeout, signal })
      }
      const local = exposedFunction(fn.module, fn.name, this.system.node)
      return runExposed(local, args, ref, signal ?? currentSignal()) as Promise<RunResult<F>>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Streams what the exposed async generator function `fn` yields when run with `args` (one
   * array, left out for a function of no arguments) on the actor's node, as the actor: consume it
   * with `for await`. The generator runs at most `window` items (see {@link StreamOptions.window})
   * ahead of the loop. Leaving the loop early (`break`, `return`, a throw) cancels it: its
   * `finally` blocks run and its call signal aborts. What it throws ends the loop with
   * `RemoteActorError` (its `cause` the original error); a lost node ends it with `NodeDownError`,
   * an item too large for a frame with a `RemoteActorError` whose cause is a `MessageTooLargeError`.
   * The call's or the portal's `signal`, or else the ambient cancel scope when `stream` is called
   * (`moveOnAfter`, …), cancels it too: the loop throws the signal's reason. A stream has no
   * timeout. On this node, the generator runs directly.
   *
   * @example
   * ```ts
   * for await (const line of portal.stream(files.lines, ['/var/log/syslog'], { window: 64 })) {
   *   if (line.includes('panic')) break // cancels the generator on the other node
   * }
   * ```
   */
  stream<F extends StreamableFunction>(
    fn: FunctionRef<F>,
    ...call: CallArgs<Parameters<F>, StreamOptions>
  ): AsyncIterableIterator<StreamItem<F>> {
    const { args, window, signal } = portalCall('stream', fn, call, this.options)
    const ref = this.ref
    if (ref instanceof RemoteRef && ref.node !== this.system.node) {
      const remote = this.remoteFor(ref)
      return remote.stream<StreamItem<F>>(ref, fn.module, fn.name, args, window, signal ?? currentSignal())
    }
    const local = exposedFunction(fn.module, fn.name, this.system.node)
    return new LocalStream<StreamItem<F>>(local, args, ref, signal ?? currentSignal())
  }

  /**
   * Opens a context with the exposed function `fn` on the actor's node, run as the actor with a
   * `ContextChannel` and `args` (one array, left out for a function of no arguments after its
   * channel; tractor's `open_context` with its stream): resolves once the function called
   * `channel.started(first)`. Then both sides send (`send`, which waits while the other side has
   * not read a window of values) and receive (`for await`) until the caller `close`s its side or
   * the callee returns: `result()` resolves with what it returned.
   *
   * Leaving a `for await` loop early only stops reading; the context ends when the callee returns
   * or fails, or is cancelled: by `ctx.cancel()`, the call's or the portal's `signal`, or else the
   * ambient cancel scope when `open` is called (`moveOnAfter`, …). The callee's signal then aborts
   * and its loop and `send` throw, so its `finally` blocks run. What the callee throws rejects
   * `open` (before `started`), ends the caller's loop and rejects `result()` as `RemoteActorError`
   * (its `cause` the original error); a function its node does not expose rejects `open` with a
   * `RemoteActorError` whose cause is a `NotExposedError`; a lost node with `NodeDownError`; a
   * value too large for a frame, either way, ends the context with a `MessageTooLargeError` (the
   * caller's `send` of it rejects with it). On this node, the function runs here, and its own
   * errors reject as they are.
   *
   * @example
   * ```ts
   * // exposed on the actor's node: expose(import.meta.url, { echo })
   * async function echo(channel: ContextChannel<string, string, 'ready'>, prefix: string) {
   *   channel.started('ready')
   *   for await (const message of channel) await channel.send(prefix + message)
   *   return 'done'
   * }
   *
   * await using ctx = await portal.open(fns.echo, ['echo: '], { window: 16 }) // closed, and its result awaited, at the end
   * console.log(ctx.first) // 'ready'
   * await ctx.send('hello')
   * for await (const reply of ctx) {
   *   console.log(reply) // 'echo: hello'
   *   break // stops reading; the context stays open
   * }
   * await ctx.close() // the callee's loop ends
   * console.log(await ctx.result()) // 'done'
   * ```
   */
  open<F extends ContextFunction>(
    fn: FunctionRef<F>,
    ...call: CallArgs<ContextArgs<F>, OpenOptions>
  ): Promise<ContextOf<F>> {
    try {
      const { args, window, signal } = portalCall('open', fn, call, this.options)
      const ref = this.ref
      const opened: Promise<unknown> =
        ref instanceof RemoteRef && ref.node !== this.system.node
          ? this.remoteFor(ref).open(ref, fn.module, fn.name, args, window, signal ?? currentSignal()).opened
          : openLocalContext(
              exposedFunction(fn.module, fn.name, this.system.node),
              args,
              ref,
              window,
              signal ?? currentSignal(),
            )
      return opened as Promise<ContextOf<F>>
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** The node-to-node layer that reaches `ref`'s node; throws if this system is not networked. */
  private remoteFor(ref: RemoteRef): RemoteNode {
    const remote = remoteNodeOf(this.system)
    if (remote === undefined)
      throw new InvalidOptionError(
        'ref',
        `${ref.address} is on another node, and this system is not networked`,
      )
    return remote
  }

  override unwrap(): Ref<M> {
    return this.ref instanceof RefBase ? (this.ref as RefBase<M>).unwrap() : this.ref
  }

  private inner(): RefBase<M> {
    if (this.ref instanceof RefBase) return this.ref as RefBase<M>
    throw new TypeError(`${this.address} cannot be watched or linked through a portal`)
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Portal(${this.address})`
  }
}

/**
 * A portal to the actor `ref` (or the address of one): a ref that can also `run`, `stream` and
 * `open` the functions its node exposes. Given a portal, makes another to the same actor with
 * other `options` (a call's own `signal` or `window`).
 *
 * @example
 * ```ts
 * const frank = portalOf(system, system.spawn(Worker, { on: child.node }))
 * await frank.run(lines.hi)
 * ```
 */
export function portalOf<M = unknown>(
  system: ActorSystem,
  ref: Ref<M> | string,
  options: PortalOptions = {},
): ActorPortal<M> {
  const target = typeof ref === 'string' ? system.refOf<M>(ref) : ref
  if (target instanceof Portal) return new Portal(system, target.ref as Ref<M>, options)
  return new Portal(system, target, options)
}
