import { TroupeError } from '../../concurrency/errors.ts'
import { InvalidOptionError } from '../../core/errors.ts'
import { PARENT_WATCH_BOOTSTRAP_URL, PARENT_WATCH_ENV, PARENT_WATCH_KEY } from './parent-watch-source.ts'

/** A process that started this one (directly or not), as it was when recorded. */
export interface Ancestor {
  readonly pid: number
  /** Its parent then: a change means it was orphaned, and adopted by another process. */
  readonly ppid: number
  /** Its start time (field 22 of /proc/<pid>/stat): another value means the pid was reused. */
  readonly start: string
}

/** What a parent watch checks. */
export interface ParentWatchConfig {
  /** The parent this process must keep. */
  readonly parent: number
  /** More processes that must keep running with the same parent (Linux only; else only their existence). */
  readonly ancestors: readonly Ancestor[]
  readonly intervalMs: number
  readonly graceMs: number
}

/** Options of a parent watch. */
export interface ParentWatchOptions {
  /** How often the watch checks the parent (and the ancestors). @default 200 */
  intervalMs?: number
  /**
   * Once a watched process is gone, how long this process may take to end by itself before the
   * watch SIGKILLs its children and then the process.
   * @default 1000
   */
  graceMs?: number
}

/** A running parent watch: at most one per process. */
export interface ParentWatch {
  readonly config: ParentWatchConfig
  /**
   * Calls `listener` once, with the reason, when a watched process is gone (at once if it is gone
   * already). While a listener is registered, the watch leaves the graceful end to it (and kills
   * the process only after the grace period); with none, it calls `process.exit()`. Returns a
   * function that removes the listener.
   */
  onGone(listener: (why: string) => void): () => void
  /** Stops watching: this process will outlive its parent. */
  stop(): void
}

/** The API the bootstrap puts on `globalThis`. */
interface WatchApi {
  watch(config: ParentWatchConfig): ParentWatch
  current: ParentWatch | undefined
}

const DEFAULT_INTERVAL_MS = 200
const DEFAULT_GRACE_MS = 1_000

function installed(): WatchApi | undefined {
  return (globalThis as Record<symbol, WatchApi | undefined>)[Symbol.for(PARENT_WATCH_KEY)]
}

async function loadApi(): Promise<WatchApi> {
  if (installed() === undefined) await import(PARENT_WATCH_BOOTSTRAP_URL)
  const api = installed()
  if (api === undefined) throw new TroupeError('the parent watch did not install itself')
  return api
}

function configOf(
  parent: number,
  ancestors: readonly Ancestor[],
  options: ParentWatchOptions,
): ParentWatchConfig {
  const config = {
    parent,
    ancestors,
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
  }
  for (const name of ['intervalMs', 'graceMs'] as const) {
    const value = config[name]
    if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1)
      throw new InvalidOptionError(name, `expected a positive integer of milliseconds, got ${String(value)}`)
  }
  return config
}

/** The parent watch of this process, if one runs (a child started by `spawnProcess` has one from its start). */
export function currentParentWatch(): ParentWatch | undefined {
  return installed()?.current
}

/**
 * Watches the parent of this process (the one it had at start), and resolves with the watch; if
 * one runs already, resolves with that one and ignores `options`.
 */
export async function watchParent(options: ParentWatchOptions = {}): Promise<ParentWatch> {
  const api = await loadApi()
  api.current ??= api.watch(configOf(process.ppid, [], options))
  return api.current
}

/**
 * Watches `parent` and every one of `ancestors` (recorded as early as possible, before an ancestor
 * can have gone), and resolves with the watch; if one runs already, resolves with that one.
 */
export async function watchAncestors(
  parent: number,
  ancestors: readonly Ancestor[],
  options: ParentWatchOptions = {},
): Promise<ParentWatch> {
  const api = await loadApi()
  api.current ??= api.watch(configOf(parent, ancestors, options))
  return api.current
}

/**
 * What `spawnProcess` gives a child so that it watches this process from its first instant: the
 * node flags that import the watch before anything else (tsx included), and the environment
 * variable with its settings (read and removed by the child, so its own children do not inherit it).
 */
export function childParentWatch(options: ParentWatchOptions = {}): {
  execArgv: string[]
  env: Record<string, string>
} {
  return {
    execArgv: ['--import', PARENT_WATCH_BOOTSTRAP_URL],
    env: { [PARENT_WATCH_ENV]: JSON.stringify(configOf(process.pid, [], options)) },
  }
}
