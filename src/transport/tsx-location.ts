// Where tsx is, for the child processes and threads that must load TypeScript. A child does not
// inherit its parent's loaders: a child process gets tsx's loader with `--import`, and a thread a
// bootstrap that calls tsx's `register()` (`--import` fails for a worker on Node 20:
// nodejs/node#47747). Both are given as file URLs, so that the child needs no resolution of its own.
import { createRequire } from 'node:module'
import { isAbsolute, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { InvalidOptionError } from '../core/errors.ts'

/** The tsx a child loads, as file URLs. */
export interface TsxLocation {
  /** tsx's loader, for a child process's `--import`: ESM and CommonJS hooks. */
  readonly loader: string
  /** tsx's ESM API (`tsx/esm/api`), whose `register()` a thread's bootstrap calls. */
  readonly api: string
}

/**
 * A child process or thread must load the TypeScript module `module`, and tsx cannot be found
 * (from the tsx this process runs under, from Troupe's own folder, or from the working folder).
 * Installing tsx in the project (`npm install tsx`) is the fix.
 */
export class TsxNotFoundError extends InvalidOptionError {
  constructor(
    /** The TypeScript module the child was to load. */
    readonly module: string,
    /** The folders tsx was looked for from. */
    readonly searched: readonly string[],
  ) {
    super(
      'modules',
      `${module} is TypeScript, and a child node loads TypeScript with tsx, which cannot be found from ${searched.join(', ')}: install it in your project (npm install tsx)`,
    )
  }
}

const TYPESCRIPT = /\.[cm]?tsx?$/

/** Whether the module at this path or URL is TypeScript (`.ts`, `.mts`, `.cts`, `.tsx`). */
export function isTypeScriptModule(module: string | URL): boolean {
  const path = module instanceof URL ? module.pathname : module.replace(/[?#].*$/, '')
  return TYPESCRIPT.test(path)
}

/** The values of a node flag in `--flag value` and `--flag=value` forms. */
function valuesOf(flags: readonly string[], flag: string): string[] {
  const values: string[] = []
  for (let i = 0; i < flags.length; i++) {
    const current = flags[i] as string
    if (current === flag) values.push(flags[i + 1] ?? '')
    else if (current.startsWith(`${flag}=`)) values.push(current.slice(flag.length + 1))
  }
  return values
}

/**
 * Where the tsx this process runs under resolves from (the file its flags name, or the working
 * folder for a bare `--import tsx`), or `undefined` when it runs without tsx. `npx tsx app.ts`
 * passes `--import file:///…/tsx/dist/loader.mjs`; `node --import tsx app.ts` passes `tsx`.
 */
export function tsxOfThisProcess(): string | undefined {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)]
  const loaders = ['--import', '--loader', '--experimental-loader', '--require', '-r'].flatMap((flag) =>
    valuesOf(flags, flag),
  )
  const tsx = loaders.find((value) => /(^|[/\\])tsx([/\\]|$)/.test(value))
  if (tsx === undefined) return undefined
  if (tsx.startsWith('file:')) return fileURLToPath(tsx)
  return isAbsolute(tsx) ? tsx : join(process.cwd(), 'package.json')
}

/** Resolves tsx from `base` (a file; a folder ends with a separator), or `undefined`. */
function resolveFrom(base: string): TsxLocation | undefined {
  try {
    const require = createRequire(base)
    // `tsx/esm/api` under the `require` condition is the CommonJS build; the ESM one sits beside it.
    const api = require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')
    return { loader: pathToFileURL(require.resolve('tsx')).href, api: pathToFileURL(api).href }
  } catch {
    return undefined
  }
}

/** Where tsx is looked for: where this process's own tsx resolves, Troupe's folder, the working folder. */
function searchBases(): string[] {
  const own = tsxOfThisProcess()
  return [
    ...(own === undefined ? [] : [own]),
    fileURLToPath(import.meta.url),
    join(process.cwd(), 'package.json'),
  ]
}

/** tsx for a child, resolved as the parent would resolve it; `undefined` when it is not installed. */
export function findTsx(): TsxLocation | undefined {
  for (const base of searchBases()) {
    const found = resolveFrom(base)
    if (found !== undefined) return found
  }
  return undefined
}

/** tsx for a child that must load the TypeScript module `module`; throws {@link TsxNotFoundError} without it. */
export function requireTsx(module: string | URL): TsxLocation {
  const found = findTsx()
  if (found !== undefined) return found
  const folders = [...new Set(searchBases().map((base) => join(base, '..')))]
  throw new TsxNotFoundError(module instanceof URL ? module.href : module, folders)
}
