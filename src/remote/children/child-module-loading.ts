// How a child node loads the modules its parent names. A child imports a module for what it
// defines (the functions and actor definitions it exposes, those it exports), never to run it as a
// program: a module that calls `start()` at its top level is the parent's program, and running it
// again in each child would start children of its own, without end. So while a child loads a
// module, `start()` refuses, and the loader takes exactly that refusal as "the definitions made
// before the call are loaded".
import { ambientStorage } from '../../concurrency/ambient-storage.ts'
import { TroupeError } from '../../concurrency/errors.ts'

/** What the code that runs while a child loads a module is loaded for. */
interface Loading {
  readonly module: string
  readonly node: string
}

// The async context of the import: the module's top-level code (and what it imports) runs in it.
// A slot of the one ambient frame, not an AsyncLocalStorage of its own: one that stayed enabled
// after the modules loaded would tax every promise of the child from then on.
const loading = ambientStorage<Loading>()
let inChildNode = false
/** Modules whose top-level code stopped at a refused `start()`, in this thread or process. */
const modulesStoppedAtStart = new Set<string>()

/**
 * `start()` was called while a child node loads a module for its parent: at the top level of that
 * module (or of one it imports). A child runs no one's top-level program, so `start()` refuses,
 * and the code after the call does not run in the child; what the module exposed before the call
 * (`expose(import.meta.url, { … })`) is loaded. The child's loader takes this rejection as the end
 * of the module's definitions: the program never gets it where it runs as itself.
 */
export class StartInChildNodeError extends TroupeError {
  constructor(
    /** The module the child was loading. */
    readonly module: string,
    /** The child node. */
    readonly node: string,
  ) {
    super(
      `start() called at the top level of ${module} (or of a module it imports) while child node ${node} loads it for its parent: a child runs no one's top-level program; code after this call does not run in the child`,
    )
  }
}

/**
 * Whether this code runs in a child node (a worker thread or child process that Troupe started for
 * a parent node). A module needs no guard around its top-level `start()`: in a child, `start()`
 * refuses and the rest of the module does not run there. This tells a module that wants to do
 * something else in a child, such as skip a costly set-up at its top level.
 *
 * @example
 * ```ts
 * export const lines = expose(import.meta.url, { hi })
 * if (!isChildNode()) console.log('starting the program')
 * const system = await start()
 * ```
 */
export function isChildNode(): boolean {
  return inChildNode
}

/** @internal child-main marks its thread or process as a child node. */
export function markChildNode(): void {
  inChildNode = true
}

/** @internal What the public `start()` calls first: it throws while a child node loads a module. */
export function refuseStartWhileLoading(): void {
  const current = loading.getStore()
  if (current !== undefined) throw new StartInChildNodeError(current.module, current.node)
}

/**
 * @internal Imports `url` for the parent of child node `node`: its exports, or `undefined` when its
 * top-level code stopped at `start()` (its exports cannot be read then, but what it exposed before
 * the call is registered). Any other failure rejects.
 */
export async function importForParent(
  url: string,
  node: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return (await loading.run({ module: url, node }, () => import(url))) as Record<string, unknown>
  } catch (error) {
    if (!(error instanceof StartInChildNodeError)) throw error
    modulesStoppedAtStart.add(url)
    return undefined
  }
}

/**
 * @internal Why what `module` defines may be missing on this node: its top-level code stopped at
 * `start()` here, before the rest of it ran; `undefined` when it did not.
 */
export function stoppedAtStart(module: string): string | undefined {
  if (!modulesStoppedAtStart.has(module)) return undefined
  return `${module} (or a module it imports) calls start() at its top level, and a child node loads a module only up to that call (the code after it does not run in a child)`
}

/**
 * @internal A promise that a module's top-level code left unawaited, rejected by the refused
 * `start()` (`start().then(main)`), is no failure of the child: it is ignored. Any other unhandled
 * rejection still ends the thread or process, as it would without this listener.
 */
export function ignoreRefusedStarts(): void {
  process.on('unhandledRejection', (reason) => {
    if (reason instanceof StartInChildNodeError) return
    throw reason
  })
}
