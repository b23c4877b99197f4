import { availableParallelism } from 'node:os'
import { CancelledError } from '../../concurrency/errors.ts'
import { ExtensionKey } from '../../core/extensions.ts'
import type {
  ChildPortal,
  ChildRun,
  ChildRunner,
  ChildRunRequest,
  ChildStartRequest,
} from '../../core/internal.ts'
import type { Ref } from '../../core/ref.ts'
import type { ActorSystem } from '../../core/system.ts'
import { registeredInCluster } from '../node/registered-name.ts'
import { openRemoteNode } from '../node/remote-node-of.ts'
import { RemoteRef } from '../node/remote-ref.ts'
import { Portal } from '../portal/portal.ts'
import { RemoteActorError } from '../portal/remote-actor-error.ts'
import {
  type ChildNode,
  type ChildNodeOptions,
  childNodeName,
  FunctionHost,
  startChildNode,
} from './child-node.ts'

/** The longest a function may run in a child (setTimeout's limit; the deadline is re-armed past it). */
const NO_DEADLINE_MS = 2 ** 31 - 1

/** How long a cancelled run's function has to answer before its node is stopped (a child's grace). */
const ANSWER_GRACE_MS = 1_500

/** How many child nodes of one system start at once: more only slow every start down (and starve heartbeats). */
const STARTS_AT_ONCE = Math.max(2, availableParallelism())

/** Per system: how many of its child nodes are starting, and the starts waiting for their turn. */
const START_QUEUE = new ExtensionKey<{ starting: number; waiting: (() => void)[] }>('child start queue')

/** Starts a child node once fewer than {@link STARTS_AT_ONCE} of the system's are starting. */
async function startInTurn(system: ActorSystem, options: ChildNodeOptions): Promise<ChildNode> {
  const queue = system.extensions.ensure(START_QUEUE, () => ({ starting: 0, waiting: [] }))
  if (queue.starting >= STARTS_AT_ONCE) await new Promise<void>((resolve) => queue.waiting.push(resolve))
  else queue.starting++
  try {
    return await startChildNode(system, options)
  } finally {
    // The slot passes to the next start, if one waits.
    const next = queue.waiting.shift()
    if (next === undefined) queue.starting--
    else next()
  }
}

/**
 * Runs an exposed function in an actor named like the request on a new child node (which loads the
 * function's module), then stops the node. What a nursery's `runInActor(…, { in })` does.
 *
 * Cancelling it lets a starting node finish starting and still sends the call, then its cancel
 * (tractor's way): the function may fail before it sees the cancel, and that failure is kept. The
 * run waits up to the grace period for the function's answer before it stops the node; a
 * function that ended with its cancellation, or gave no answer, ends the run as `CancelledError`.
 */
export function runInChildNode(system: ActorSystem, request: ChildRunRequest): ChildRun {
  const node = childNodeName(request.name)
  const remote = openRemoteNode(system)
  const ref = remote.refOf(node, `/user/${request.name}`)
  const cancelling = new AbortController()
  const starting = startInTurn(system, { in: request.in, node, modules: [request.fn.module] })
  // The actor is spawned first thing once its node connects, so that what is sent to its ref (the
  // nursery's portal) meanwhile waits and then reaches it.
  remote.awaitConnection(node, starting)
  const host = system.spawn(FunctionHost, { on: node, name: request.name })
  let stuck = false
  const result = (async () => {
    const child = await starting
    try {
      if (!(host instanceof RemoteRef)) throw new TypeError(`${host.address} is not on a child node`)
      // The function runs once its actor's name is in the cluster registry, where the others look.
      await registeredInCluster(system, request.name, node, child.exited)
      const answer = remote.call(host, request.fn.module, request.fn.name, [...request.args], {
        timeout: NO_DEADLINE_MS,
        // Not the ambient scope's signal: a cancel must not stop the wait for the answer.
        signal: new AbortController().signal,
        cancelOn: cancelling.signal,
      })
      return await answerWithin(answer, cancelling.signal, ANSWER_GRACE_MS, request.name)
    } catch (error) {
      if (error instanceof Unanswered) {
        // Its grace is spent: a child stuck in a synchronous loop gets no second one.
        stuck = true
        throw new CancelledError(error.message, { cause: error })
      }
      if (cancelling.signal.aborted && !isFailure(error)) {
        throw new CancelledError(`${request.name} was cancelled`, { cause: error })
      }
      throw error
    } finally {
      await (stuck ? child.terminate() : child.stop())
    }
  })()
  return {
    ref,
    result,
    async cancel() {
      cancelling.abort()
      await result.then(
        () => {},
        () => {},
      )
    },
  }
}

/** A failure of the function itself: it threw, and not its own cancellation. */
function isFailure(error: unknown): boolean {
  return error instanceof RemoteActorError && !(error.cause instanceof CancelledError)
}

/** A cancelled function that did not answer within the grace period. */
class Unanswered extends Error {}

/** Settles as `answer`, or rejects with {@link Unanswered} once `cancelled` has been aborted for `graceMs`. */
function answerWithin<T>(
  answer: Promise<T>,
  cancelled: AbortSignal,
  graceMs: number,
  name: string,
): Promise<T> {
  let giveUp!: (error: Unanswered) => void
  const gaveUp = new Promise<never>((_, reject) => {
    giveUp = reject
  })
  let timer: NodeJS.Timeout | undefined
  const startGrace = () => {
    timer = setTimeout(
      () => giveUp(new Unanswered(`${name} did not answer its cancel within ${graceMs} ms`)),
      graceMs,
    )
  }
  if (cancelled.aborted) startGrace()
  else cancelled.addEventListener('abort', startGrace, { once: true })
  return Promise.race([answer, gaveUp]).finally(() => {
    clearTimeout(timer)
    cancelled.removeEventListener('abort', startGrace)
  })
}

/** A daemon's portal: a portal to its actor, which also stops the actor's child node. */
class DaemonPortal extends Portal implements ChildPortal {
  constructor(
    system: ActorSystem,
    actor: Ref,
    private readonly child: ChildNode,
  ) {
    super(system, actor, { timeout: NO_DEADLINE_MS })
  }

  cancelActor(): Promise<void> {
    return this.child.stop()
  }
}

/**
 * Starts a daemon actor named like the request on a new child node that loads the request's
 * modules; it lives until `cancelActor()`. What a nursery's `startActor` does.
 */
export async function startInChildNode(
  system: ActorSystem,
  request: ChildStartRequest,
): Promise<ChildPortal> {
  const node = childNodeName(request.name)
  const child = await startInTurn(system, {
    in: request.in,
    node,
    modules: request.modules,
    data: request.data,
  })
  try {
    const host = system.spawn(FunctionHost, { on: node, name: request.name })
    // The portal comes once findActor(name) finds the actor anywhere in the cluster.
    await registeredInCluster(system, request.name, node, child.exited)
    return new DaemonPortal(system, host, child)
  } catch (error) {
    await child.stop()
    throw error
  }
}

/** Nurseries of `system` start child nodes through this. */
export function childRunnerOf(system: ActorSystem): ChildRunner {
  return {
    run: (request) => runInChildNode(system, request),
    start: (request) => startInChildNode(system, request),
  }
}
