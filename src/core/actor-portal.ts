import type {
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

/**
 * A ref to an actor, possibly on another node, that can also `run`, `stream` and `open` the functions its
 * node exposes (`expose(import.meta.url, { … })`), with `currentActor()` naming the actor while
 * they run. What `findActor` and `waitForActor` resolve with (tractor's portals).
 */
export interface ActorPortal<M = unknown> extends Ref<M> {
  /** Runs the exposed function `fn` with `args` as the actor, on its node; resolves with its result. */
  run<F extends ExposableFunction>(fn: FunctionRef<F>, ...args: Parameters<F>): Promise<RunResult<F>>
  /** Streams what the exposed async generator function `fn` yields, with flow control. */
  stream<F extends StreamableFunction>(
    fn: FunctionRef<F>,
    ...args: Parameters<F>
  ): AsyncIterableIterator<StreamItem<F>>
  /** Opens a bidirectional context with the exposed function `fn` (tractor's `open_context`). */
  open<F extends ContextFunction>(fn: FunctionRef<F>, ...args: ContextArgs<F>): Promise<ContextOf<F>>
}

/** Makes the portal of a ref: the layer that runs exposed functions plugs it into the system. */
export type PortalMaker = <M>(ref: Ref<M>) => ActorPortal<M>
