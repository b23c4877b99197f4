import { existsSync } from 'node:fs'
import { basename, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AnyBehavior } from '../index.ts'
import { CommandFailedError, UsageError } from './cli-errors.ts'
import { describeLoadError } from './module-load-error.ts'

/** An actor definition taken from a module by `troupe run`. */
export interface LoadedBehavior {
  /** The definition: a `defineActor` or `defineProcess` result, or an async function. */
  behavior: AnyBehavior
  /** The export it came from (`default` when none was named). */
  exportName: string
  /** The module's absolute path. */
  file: string
  /** A name to expose it under: the export's name, or the module's file name for a default export. */
  exposedName: string
}

/**
 * Imports `<module>[#export]` (a path relative to `cwd`; `.ts` files go through tsx) and takes the
 * export, the default one unless named. A missing module, a missing export or an export that is
 * not an actor definition is a {@link UsageError}; a module that throws while loading is a
 * {@link CommandFailedError}, which gives the file, line and column of a syntax error.
 *
 * @example
 * ```ts
 * const { behavior } = await loadBehavior('examples/cli-ping-pong/pong.ts#Pong')
 * ```
 */
export async function loadBehavior(spec: string, cwd = process.cwd()): Promise<LoadedBehavior> {
  const hash = spec.lastIndexOf('#')
  const modulePath = hash < 0 ? spec : spec.slice(0, hash)
  const exportName = hash < 0 ? 'default' : spec.slice(hash + 1)
  if (modulePath === '' || exportName === '')
    throw new UsageError(`expected <module>[#export], such as actors.ts#Counter, got '${spec}'`)
  const file = resolve(cwd, modulePath)
  if (!existsSync(file)) throw new UsageError(`no module at ${file}`)
  let loaded: Record<string, unknown>
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (error) {
    throw new CommandFailedError(`cannot load ${modulePath}: ${describeLoadError(error)}`, { cause: error })
  }
  const value = loaded[exportName]
  if (value === undefined) {
    const actors = Object.keys(loaded).filter((key) => isBehavior(loaded[key]))
    const hint = actors.length === 0 ? 'it exports no actor definition' : `its actors: ${actors.join(', ')}`
    throw new UsageError(`${modulePath} has no export '${exportName}' (${hint})`)
  }
  if (!isBehavior(value)) {
    throw new UsageError(
      `export '${exportName}' of ${modulePath} is not an actor definition (defineActor, defineProcess or an async function)`,
    )
  }
  const exposedName =
    exportName === 'default' ? basename(file, extname(file)).replace(/[^A-Za-z0-9_.:@-]/g, '-') : exportName
  return { behavior: value, exportName, file, exposedName: exposedName.replace(/^[^A-Za-z0-9_]/, '_') }
}

/** Whether `value` is something `spawn` accepts. */
export function isBehavior(value: unknown): value is AnyBehavior {
  // A plain function is not taken: it is far more likely a helper than an actor.
  if (typeof value === 'function') return value.constructor.name === 'AsyncFunction'
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as { kind?: unknown; definition?: { receive?: unknown }; run?: unknown }
  if (candidate.kind === 'handler') return typeof candidate.definition?.receive === 'function'
  return candidate.kind === 'process' && typeof candidate.run === 'function'
}
