import { CancelledError } from '../concurrency/errors.ts'
import type {
  ChildPortal,
  ChildRun,
  ChildRunner,
  ChildRunRequest,
  ChildStartRequest,
} from '../core/runtime.ts'
import type { ActorSystem } from '../core/system.ts'
import { type ChildNode, childNodeName, FunctionHost, startChildNode } from './child-node.ts'
import type { FunctionRef } from './exposed-functions.ts'
import { Portal, portalOf } from './portal.ts'
import { RemoteActorError } from './remote-actor-error.ts'
import { attachRemoteNode } from './start-node.ts'

/** The longest a function may run in a child (setTimeout's limit; the deadline is re-armed past it). */
const NO_DEADLINE_MS = 2 ** 31 - 1

/**
 * Runs an exposed function in an actor named like the request on a new child node (which loads the
 * function's module), then stops the node. What a nursery's `runInActor(…, { in })` does.
 */
export function runInChildNode(system: ActorSystem, request: ChildRunRequest): ChildRun {
  const node = childNodeName(request.name)
  const ref = attachRemoteNode(system).refOf(node, `/user/${request.name}`)
  let child: ChildNode | undefined
  let cancelled = false
  const starting = startChildNode(system, { in: request.in, node, modules: [request.fn.module] })
  const result = (async () => {
    child = await starting
    if (cancelled) throw new CancelledError(`${request.name} was cancelled before it started`)
    try {
      const host = system.spawn(FunctionHost, { on: node, name: request.name })
      const portal = portalOf(system, host, { timeout: NO_DEADLINE_MS })
      return await portal.run(request.fn as FunctionRef, ...(request.args as never[]))
    } catch (error) {
      // The function's own failure stays a failure, even if it lands as the run is called off.
      if (cancelled && !(error instanceof RemoteActorError)) {
        throw new CancelledError(`${request.name} was cancelled`, { cause: error })
      }
      throw error
    } finally {
      await child.stop()
    }
  })()
  return {
    ref,
    result,
    async cancel() {
      cancelled = true
      const started = await starting.catch(() => undefined)
      await started?.stop()
    },
  }
}

/** A daemon's portal: a portal to its actor, which also stops the actor's child node. */
class DaemonPortal extends Portal implements ChildPortal {
  constructor(
    system: ActorSystem,
    host: Portal,
    private readonly child: ChildNode,
  ) {
    super(system, host.ref, { timeout: NO_DEADLINE_MS })
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
  const child = await startChildNode(system, {
    in: request.in,
    node,
    modules: request.modules,
    data: request.data,
  })
  try {
    const host = portalOf(system, system.spawn(FunctionHost, { on: node, name: request.name }))
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
