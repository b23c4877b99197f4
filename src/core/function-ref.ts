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
