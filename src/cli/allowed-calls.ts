import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FunctionRef } from '../index.ts'
import { CommandFailedError, UsageError } from './cli-errors.ts'
import { describeLoadError } from './module-load-error.ts'
import type { AllowedCall } from './options.ts'

/**
 * The functions of `--allow module#function` as `expose` returned them: each module is imported
 * (a path relative to `cwd`), which exposes its functions on this node, and must export what
 * `expose` returned for the function. A missing module or function is a {@link UsageError}; a
 * module that throws while loading a {@link CommandFailedError}.
 */
export async function loadAllowedCalls(
  calls: readonly AllowedCall[],
  cwd = process.cwd(),
): Promise<FunctionRef[]> {
  const functions: FunctionRef[] = []
  for (const call of calls) {
    const file = resolve(cwd, call.module)
    if (!existsSync(file)) throw new UsageError(`--allow ${call.module}#${call.name}: no module at ${file}`)
    const url = pathToFileURL(file).href
    let loaded: Record<string, unknown>
    try {
      loaded = (await import(url)) as Record<string, unknown>
    } catch (error) {
      throw new CommandFailedError(`cannot load ${call.module}: ${describeLoadError(error)}`, {
        cause: error,
      })
    }
    const exposed = exposedNames(loaded, url)
    if (!exposed.includes(call.name)) {
      const hint =
        exposed.length === 0
          ? 'it exports no exposed function'
          : `its exposed functions: ${exposed.join(', ')}`
      throw new UsageError(
        `--allow ${call.module}#${call.name}: ${call.module} exposes no function '${call.name}' (${hint})`,
      )
    }
    functions.push({ module: url, name: call.name })
  }
  return functions
}

/** The names of the functions whose references (what `expose(url, …)` returned) the module exports. */
function exposedNames(loaded: Record<string, unknown>, url: string): string[] {
  const names: string[] = []
  for (const value of Object.values(loaded)) {
    if (typeof value !== 'object' || value === null) continue
    for (const member of Object.values(value)) {
      const ref = member as Partial<FunctionRef> | null
      if (typeof ref === 'object' && ref?.module === url && typeof ref.name === 'string') names.push(ref.name)
    }
  }
  return names
}
