import type { Ref } from '../../core/ref.ts'
import { ContextCallee } from './context-callee.ts'
import { ContextCaller } from './context-caller.ts'
import type { ExposableFunction } from './exposed-functions.ts'

/**
 * Opens a context of a function on this node: it runs here, as `actor`, talking with its caller
 * directly, with the same credit and cancellation as across nodes; what it throws rejects as is.
 *
 * @internal
 */
export function openLocalContext(
  fn: ExposableFunction,
  args: readonly unknown[],
  actor: Ref | undefined,
  window: number,
  signal: AbortSignal | undefined,
): Promise<ContextCaller> {
  const caller = new ContextCaller('context', window, signal)
  if (caller.over) return caller.opened
  const callee = new ContextCallee('context', fn, args, actor, window, {
    started: (first) => caller.started(first),
    item: (value) => caller.item(value),
    credit: (n) => caller.credit(n),
    ended: (result) => caller.ended(result),
    failed: (error) => caller.fail(error),
    returnFailed: () => {},
  })
  caller.attach({
    item: (value) => callee.item(value),
    credit: (n) => callee.grant(n),
    end: () => callee.end(),
    cancel: (reason) => callee.cancel(reason),
  })
  void callee.run()
  return caller.opened
}
