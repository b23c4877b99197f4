/** A function a module may expose to other nodes: any arguments and result the codec can carry. */
export type ExposableFunction = (...args: never[]) => unknown

/** A function a portal can `stream`: an async generator function (or any returning an (async) iterable). */
export type StreamableFunction = (...args: never[]) => AsyncIterable<unknown> | Iterable<unknown>

declare const functionType: unique symbol

/**
 * A reference to an exposed function (`expose(import.meta.url, { fn }).fn`): its module URL and
 * name, which is all that crosses the wire, and (for the type checker only) the function's type.
 */
export interface FunctionRef<F extends ExposableFunction = ExposableFunction> {
  readonly module: string
  readonly name: string
  /** Never present: carries the function's type. */
  readonly [functionType]?: F
}

/** What a `run` of `F` resolves with: its result, awaited. */
export type RunResult<F extends ExposableFunction> = Awaited<ReturnType<F>>

/** The items of what an exposed (async) generator function yields. */
export type StreamItem<F extends ExposableFunction> =
  ReturnType<F> extends AsyncIterable<infer T> ? T : ReturnType<F> extends Iterable<infer T> ? T : never

/**
 * The callee's end of a context opened with `portal.open`: the first parameter of an exposed
 * function that talks with its caller both ways. It receives `In` (iterate it; the loop ends when
 * the caller closes its side), sends `Out` with `send` (which waits while the caller has not
 * granted credit), and tells the caller it is ready with `started(first)`, which `open` waits for.
 * Leaving a loop over it early only stops reading: what the caller sends later can still be read.
 *
 * @example
 * ```ts
 * async function echo(channel: ContextChannel<string, string, 'ready'>, prefix: string) {
 *   channel.started('ready')
 *   for await (const message of channel) await channel.send(prefix + message)
 *   return 'done'
 * }
 * export const fns = expose(import.meta.url, { echo })
 * ```
 */
export interface ContextChannel<In = unknown, Out = unknown, First = void> extends AsyncIterable<In> {
  /**
   * Aborts when the caller cancels the context (`ctx.cancel()`, its signal, its ambient cancel
   * scope) or its node goes down; the function's `currentSignal()` aborts with it.
   */
  readonly signal: AbortSignal
  /**
   * Opens the context: the caller's `open` resolves, with `first` as its `first`. Call it once,
   * before `send`; a function that returns without calling it fails.
   */
  started(first: First): void
  /**
   * Sends `value` to the caller; resolves once it is on its way, which waits while the caller has
   * not read a window of earlier values. Rejects once the context is cancelled.
   */
  send(value: Out): Promise<void>
  /** The next value from the caller, or `done` once the caller closed its side. */
  next(): Promise<IteratorResult<In, undefined>>
}

/** A function `portal.open` can run: an exposed function whose first parameter is a {@link ContextChannel}. */
export type ContextFunction = (channel: ContextChannel<never, never, never>, ...args: never[]) => unknown

/**
 * What a portal call takes after its function: the function's arguments as one array (`A`, checked
 * against its parameters), then the call's options `O`, as `child_process.spawn(command, args,
 * options)` and `Reflect.apply` do. A function that takes no arguments needs no array.
 *
 * @example
 * ```ts
 * await portal.run(lines.sayHello, ['gretchen'], { timeout: 5_000 })
 * await portal.run(lines.hi)
 * ```
 */
export type CallArgs<A extends readonly unknown[], O> = [] extends A
  ? [args?: Readonly<A>, options?: O]
  : [args: Readonly<A>, options?: O]

/** The arguments of a context function after its channel: what `portal.open(fn, [args])` takes. */
export type ContextArgs<F extends ContextFunction> = F extends (channel: never, ...args: infer A) => unknown
  ? A
  : never

type ChannelOf<F extends ContextFunction> = Parameters<F>[0]

/**
 * The caller's end of a context, as `portal.open(fn, args)` resolves with it once the callee
 * called `started`: `first` is what it gave there; `send` and `for await` talk with it, both ways
 * with credit-based flow control; `close` ends the caller's side; `result` resolves with what the
 * callee returned; `cancel` cancels it. Leaving a loop over it early only stops reading: the
 * context lives until the callee returns or fails, or it is cancelled. `await using` closes it
 * and waits for the callee's result.
 */
export interface PortalContext<In = unknown, Out = unknown, First = unknown, Result = unknown>
  extends AsyncIterable<In>,
    AsyncDisposable {
  /** What the callee gave `channel.started(first)`. */
  readonly first: First
  /**
   * Sends `value` to the callee; resolves once it is on its way, which waits while the callee has
   * not read a window of earlier values (the portal's `window`). Rejects with `ContextClosedError`
   * after `close()` or once the callee has returned, and with the context's error once it failed
   * or was cancelled.
   */
  send(value: Out): Promise<void>
  /** The next value from the callee, or `done` once it returned; rejects with its error. */
  next(): Promise<IteratorResult<In, undefined>>
  /** Ends the caller's side: the callee's loop over its channel ends. What was sent still arrives. */
  close(): Promise<void>
  /**
   * Cancels the context: the callee's signal aborts (its loop and `send` throw, its `finally`
   * blocks run); `send`, `next` and `result` reject with a `CancelledError` (its `reason` the one
   * given). Cancelling a context on purpose is no error for `await using`.
   */
  cancel(reason?: unknown): void
  /** Resolves with what the callee returned; rejects with what it threw (or why the context ended). */
  result(): Promise<Result>
}

/** The context `portal.open` resolves with for the context function `F`. */
export type ContextOf<F extends ContextFunction> =
  ChannelOf<F> extends ContextChannel<infer In, infer Out, infer First>
    ? PortalContext<Out, In, First, Awaited<ReturnType<F>>>
    : never
