// How the child node of a supervised actor (`spawn(def, { in })`) finds the actor's definition:
// by the name a module exposed it under at its top level (`expose(import.meta.url, { Worker })`),
// which the child learns as it loads that module; or by its export name in the `modules` given.
import type { AnyBehavior } from '../../core/behavior.ts'
import { InvalidOptionError } from '../../core/errors.ts'
import { homeOf } from '../../core/exposed-definitions.ts'
import type { ChildActorRequest } from '../../core/internal.ts'
import { fileUrlOf } from '../../core/module-url.ts'
import type { ActorSystem } from '../../core/system.ts'
import { openRemoteNode } from '../node/remote-node-of.ts'

/** How long finding a definition's export name may wait for its modules to load. */
const IMPORT_WAIT_MS = 3_000

/** Export names of definitions, found by importing their modules (the same objects here). */
const exportNames = new WeakMap<object, string>()

/** What the child node's host looks the definition up by. */
export interface DefinitionName {
  /** The name `module` exposes it under or, without `module`, its export name in the modules. */
  readonly definition: string
  /** The module that exposes it at its top level. */
  readonly module?: string
}

/** Where the child node of a supervised actor finds its definition. */
export interface DefinitionPlace {
  /** The modules the child node loads (file URLs). */
  readonly modules: readonly string[]
  /**
   * The name to look the definition up by on the child. Rejects with `InvalidOptionError` when
   * none of the modules exports it (which no restart changes).
   */
  name(): Promise<DefinitionName>
}

/**
 * Where the child node of `request` finds its definition: a module that exposed it at its top
 * level, or the `modules` given. Throws `InvalidOptionError` at once when neither says.
 */
export function placeOfDefinition(system: ActorSystem, request: ChildActorRequest): DefinitionPlace {
  const given: unknown = request.modules
  if (given !== undefined && !Array.isArray(given))
    throw new InvalidOptionError(
      'modules',
      `expected an array of file URLs (import.meta.url), got ${String(given)}`,
    )
  const modules = (request.modules ?? []).map((module) => fileUrlOf(module))
  const home = homeOf(request.behavior)
  if (home !== undefined) {
    const name = { definition: home.name, module: home.module }
    return {
      modules: modules.includes(home.module) ? modules : [...modules, home.module],
      name: () => Promise.resolve(name),
    }
  }
  if (modules.length === 0) throw new InvalidOptionError('modules', notExposed(request))
  return {
    modules,
    name: async () => ({ definition: await exportNameOf(system, request.behavior, modules) }),
  }
}

/** Why a child node cannot find the definition of `request`, and what to write instead. */
function notExposed(request: ChildActorRequest): string {
  const behavior: unknown = request.behavior
  const lead = `to run an actor in a ${request.in}, its child node must find the definition`
  const modules = `or give the modules its child node loads, one of which exports it ({ in: '${request.in}', modules: [import.meta.url] })`
  if (typeof behavior === 'function') {
    const name = behavior.name === '' ? 'Worker' : behavior.name
    return `${lead}, and a bare function is no definition a module can expose: define it with defineProcess and expose that at the top level of its module, before start() (const Worker = defineProcess(${name}); expose(import.meta.url, { Worker })), ${modules}`
  }
  return `${lead}, and no module exposes this one: expose it at the top level of its module, before start() (const Worker = defineActor(…); expose(import.meta.url, { Worker })), ${modules}`
}

/**
 * The definition's export name in `modules`: the name this system exposes it under, else found by
 * importing the modules (the same module objects as here).
 */
async function exportNameOf(
  system: ActorSystem,
  behavior: AnyBehavior | object,
  modules: readonly string[],
): Promise<string> {
  const known =
    openRemoteNode(system).runtime.exposedNames.get(behavior as AnyBehavior) ?? exportNames.get(behavior)
  if (known !== undefined) return known
  // A module still running its top-level code (one that awaits main(), say) cannot be imported
  // until it finishes: it would wait for the very actor that imports it.
  let timer: NodeJS.Timeout | undefined
  const stuck = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new InvalidOptionError(
            'modules',
            `importing ${modules.join(', ')} took over ${IMPORT_WAIT_MS} ms, probably because one is still running its top-level code: expose the definition at the top level of its module, before start() (expose(import.meta.url, { Worker })), or on this system under its export name (system.expose({ Worker }))`,
          ),
        ),
      IMPORT_WAIT_MS,
    )
  })
  const lookups = modules.map(async (module) => {
    const exports = (await import(module)) as Record<string, unknown>
    const found = Object.entries(exports).find(([, value]) => value === behavior)?.[0]
    if (found === undefined) throw new Error(`${module} does not export it`)
    return found
  })
  try {
    const name = await Promise.race([Promise.any(lookups), stuck])
    exportNames.set(behavior, name)
    return name
  } catch (error) {
    if (error instanceof InvalidOptionError) throw error
    throw new InvalidOptionError(
      'modules',
      `none of ${modules.join(', ')} exports the definition: a child node finds it by its export name, so export it (export const Worker = defineActor(…)) from one of them, or expose it at the top level of its module, before start() (expose(import.meta.url, { Worker }))`,
    )
  } finally {
    clearTimeout(timer)
  }
}
