import type {
  CallArgs,
  ContextArgs,
  ContextFunction,
  ContextOf,
  ExposableFunction,
  FunctionRef,
  RunResult,
  StreamableFunction,
  StreamItem,
} from './function-ref.ts'
import type { Ref } from './ref.ts'

/** Options of one `portal.run`; each one left out is the portal's (see `portalOf`). */
export interface RunOptions {
  /**
   * How long to wait for the result of a function on another node before rejecting with
   * `AskTimeoutError` (the function is then cancelled there).
   * @default the portal's `timeout`, else the system's ask timeout
   */
  timeout?: number
  /**
   * Aborting it cancels the call: `run` rejects with its reason and the function's signal
   * (its `currentSignal()`) aborts.
   * @default the portal's `signal`, else the ambient cancel scope at the call (`moveOnAfter`, a nursery, …)
   */
  signal?: AbortSignal
}

/** Options of one `portal.stream`; each one left out is the portal's (see `portalOf`). */
export interface StreamOptions {
  /**
   * How many items the generator may run ahead of the loop that consumes them: it is pulled only
   * while it has credit, and the loop grants credit back every half window it reads.
   * @default the portal's `window`, else 1024
   */
  window?: number
  /**
   * Aborting it cancels the stream: the loop throws its reason, the generator's signal aborts and
   * its `finally` blocks run.
   * @default the portal's `signal`, else the ambient cancel scope at the call
   */
  signal?: AbortSignal
}

/** Options of one `portal.open`; each one left out is the portal's (see `portalOf`). */
export interface OpenOptions {
  /**
   * How many values each side may send that the other has not read: a `send` beyond it waits.
   * @default the portal's `window`, else 1024
   */
  window?: number
  /**
   * Aborting it cancels the context: the callee's signal aborts, and `send`, `next` and `result`
   * reject with its reason.
   * @default the portal's `signal`, else the ambient cancel scope at the call
   */
  signal?: AbortSignal
}

/**
 * A ref to an actor, possibly on another node, that can also `run`, `stream` and `open` the functions its
 * node exposes (`expose(import.meta.url, { … })`), with `currentActor()` naming the actor while
 * they run. What `findActor` and `waitForActor` resolve with (tractor's portals). Each takes the
 * function, its arguments as one array (left out for a function of no arguments), then options.
 */
export interface ActorPortal<M = unknown> extends Ref<M> {
  /** Runs the exposed function `fn` with `args` as the actor, on its node; resolves with its result. */
  run<F extends ExposableFunction>(
    fn: FunctionRef<F>,
    ...call: CallArgs<Parameters<F>, RunOptions>
  ): Promise<RunResult<F>>
  /** Streams what the exposed async generator function `fn` yields, with flow control. */
  stream<F extends StreamableFunction>(
    fn: FunctionRef<F>,
    ...call: CallArgs<Parameters<F>, StreamOptions>
  ): AsyncIterableIterator<StreamItem<F>>
  /** Opens a bidirectional context with the exposed function `fn` (tractor's `open_context`). */
  open<F extends ContextFunction>(
    fn: FunctionRef<F>,
    ...call: CallArgs<ContextArgs<F>, OpenOptions>
  ): Promise<ContextOf<F>>
}

/** Makes the portal of a ref: the layer that runs exposed functions plugs it into the system. */
export type PortalMaker = <M>(ref: Ref<M>) => ActorPortal<M>
