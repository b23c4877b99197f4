import {
  ActorStoppedError,
  type ActorSystem,
  AskTimeoutError,
  NodeDownError,
  type Ref,
  sleep,
} from '../index.ts'
import { parseAddress } from '../internal.ts'
import { CommandFailedError, describeError } from './cli-errors.ts'

/** How long {@link confirmReachable} waits between two attempts to reach a node that is down. */
const RETRY_MS = 200

/** Options of {@link confirmReachable}. */
export interface ReachOptions {
  /** How long to keep trying to reach the node, in milliseconds. */
  timeoutMs: number
  /** The option the ref came from, for messages (`--using other`). */
  what: string
  /** Gives up when it aborts (rejecting with its reason). */
  signal: AbortSignal
}

/**
 * Resolves once the node of `ref` has answered through an authenticated connection and `ref`
 * names a live actor there. Until `timeoutMs`, a node that is down (not listening yet, say) is
 * tried again; then, or for a missing actor, it is a {@link CommandFailedError} with the reason:
 * a refused connection, a cookie mismatch, no actor at the address.
 *
 * It asks a path where no actor lives on that node: its `ActorStoppedError` proves the node
 * answers, and since messages between two nodes arrive in order, a watch sent before it has
 * been answered by then if the actor is missing.
 */
export async function confirmReachable(system: ActorSystem, ref: Ref, options: ReachOptions): Promise<void> {
  const { node } = parseAddress(ref.address)
  if (node === system.node) return
  const deadline = Date.now() + options.timeoutMs
  const probe = system.refOf(`troupe://${node}/user/$troupe-reach-probe-${process.pid}`)
  for (;;) {
    try {
      await answered(probe, deadline, options.signal)
      break
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason
      const left = deadline - Date.now()
      if (!(error instanceof NodeDownError) || left <= 0) throw unreachable(node, error, options)
      await sleep(Math.min(RETRY_MS, left), { signal: options.signal })
    }
  }
  // Watched over the connection that now works: a missing actor has answered by the next probe.
  let gone = false
  void system.watch(ref).then((terminated) => {
    gone = terminated.reason !== 'node-down'
  })
  try {
    await answered(probe, Math.max(deadline, Date.now() + RETRY_MS), options.signal)
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason
    throw unreachable(node, error, options)
  }
  if (gone) throw new CommandFailedError(`${options.what}: no actor at ${ref.address}`)
}

/** Resolves when `probe`, a path with no actor, is answered as such by its node. */
async function answered(probe: Ref, deadline: number, signal: AbortSignal): Promise<void> {
  try {
    await probe.ask(null, { timeout: Math.max(1, deadline - Date.now()), signal })
  } catch (error) {
    if (error instanceof Error && error.name === ActorStoppedError.name) return
    throw error
  }
}

function unreachable(node: string, error: unknown, options: ReachOptions): CommandFailedError {
  const why =
    error instanceof AskTimeoutError
      ? `node ${node} did not answer within ${options.timeoutMs} ms`
      : `${describeError(error)} (tried for ${options.timeoutMs} ms)`
  return new CommandFailedError(`${options.what}: ${why}`, { cause: error })
}
