import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import type { Worker } from 'node:worker_threads'
import { type AnyBehavior, defineActor } from '../../core/behavior.ts'
import { InvalidOptionError } from '../../core/errors.ts'
import { ExtensionKey } from '../../core/extensions.ts'
import type { LogFormat } from '../../core/log-format.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { ChildExit } from '../../transport/transport.ts'
import {
  findTsx,
  isTypeScriptModule,
  requireTsx,
  type TsxLocation,
  tsxOfThisProcess,
} from '../../transport/tsx-location.ts'
import type { LivenessOptions, RemoteNode } from '../node/remote-node.ts'
import { openRemoteNode } from '../node/remote-node-of.ts'
import type { TrustOptions } from '../node/trust.ts'
import { isExposedFunction } from '../portal/exposed-functions.ts'
import { importForParent } from './child-module-loading.ts'
import { type ChildNetwork, prepareChildNetwork } from './child-network.ts'
import { CHILD_TRANSPORTS } from './child-transports.ts'

/** Options of {@link startChildNode}. */
export interface ChildNodeOptions {
  /** Where the child node runs: a worker thread or a child process. */
  in: 'thread' | 'process'
  /**
   * The first part of the child's node name (letters, digits, `_ . -`); a short random suffix
   * makes it unique.
   * @default 'child'
   */
  name?: string
  /**
   * Modules the child loads, as file URLs (`import.meta.url` of each): it exposes every exported
   * actor definition under its export name. Expose the same definitions under the same names in
   * this system (`system.expose({ Counter })`) to spawn them there with `spawn(Counter, { on: child.node })`.
   * A TypeScript module (`.ts`, `.mts`, `.cts`) makes the child load tsx, found where this process
   * finds it, else in the working folder's project (else a `TsxNotFoundError`); a child of a
   * program that runs under tsx loads it too. A child of JavaScript modules alone runs without it.
   * @default []
   */
  modules?: readonly (string | URL)[]
  /** @internal The exact node name (the nursery picks it to know the actor's ref at once). */
  node?: string
  /** Data the child gets (structured clone); its modules read it with {@link childData}. */
  data?: unknown
  /**
   * How long `stop()` lets the child end by itself after closing its connection, before it is
   * terminated (a process gets SIGTERM, then SIGKILL after as long again).
   * @default 1500
   */
  graceMs?: number
}

export type { ChildExit } from '../../transport/transport.ts'

/** A node running in a worker thread or child process, connected to this one. */
export interface ChildNode {
  /**
   * The child's node name: `spawn(def, { on: child.node })`. A child listens on a port of its own
   * (on its parent's host; 127.0.0.1 for a parent without a port) and joins its parent's cluster
   * registry, or the registry a parent without a port hosts for its children: the other nodes
   * reach it through the registry (its name carries no endpoint). The child of a TLS node is
   * reachable only from its parent.
   */
  readonly node: string
  /** Where it runs. */
  readonly in: 'thread' | 'process'
  /** The process id of a child process, the thread id of a worker thread. */
  readonly id: number
  /** Settles once the child has exited (never rejects). */
  readonly exited: Promise<ChildExit>
  /**
   * Stops the child: closes its connection (the child shuts its system down and exits), and
   * terminates it if it has not exited within `graceMs`. Resolves once it has exited.
   */
  stop(): Promise<void>
  /**
   * Ends the child now, without a grace period: `terminate()` for a thread, SIGTERM for a process
   * (then SIGKILL after `graceMs`). For a child that did not answer in time. Resolves once it has
   * exited.
   */
  terminate(): Promise<void>
  /** @internal the underlying worker or child process, for tests. */
  readonly handle: Worker | ChildProcess
}

/**
 * @internal What child-main gets before it connects: its node name, log level, modules, liveness
 * settings and, for the child of a networked node, how to join its cluster (the cookie apart:
 * it never goes on a command line).
 */
export interface ChildBoot {
  readonly node: string
  readonly logLevel: string | undefined
  /** The parent's log format, so that a child's lines read like its parent's on one terminal. */
  readonly logFormat: LogFormat | undefined
  readonly modules: readonly string[]
  readonly liveness: Required<LivenessOptions>
  readonly network: Omit<ChildNetwork, 'cookie' | 'liveness'> | undefined
  /** The parent's `untrusted` option: the child of an untrusted node is untrusted too. */
  readonly untrusted: TrustOptions['untrusted']
  /** The parent's decode budget and `errorStacks`: a child sends and refuses as its parent does. */
  readonly codec: RemoteNode['codecSettings']
}

let dataOfThisChild: unknown

/** @internal child-main records the data its parent gave. */
export function setChildData(data: unknown): void {
  dataOfThisChild = data
}

/** In a child node started by {@link startChildNode}: the `data` its parent gave; else `undefined`. */
export function childData(): unknown {
  return dataOfThisChild
}

function isDefinition(value: unknown): value is AnyBehavior {
  // A function the module exposes with expose(import.meta.url, …) is run by portals, not spawned.
  if (isExposedFunction(value)) return false
  if (typeof value === 'function') return value.constructor?.name === 'AsyncFunction'
  if (typeof value !== 'object' || value === null) return false
  const kind = (value as { kind?: unknown }).kind
  return kind === 'handler' || kind === 'process'
}

/**
 * @internal Imports modules for the parent and exposes the actor definitions they export, under
 * their export names (a module whose top-level code stops at `start()` gives none: see
 * `importForParent`).
 */
export async function exposeModules(system: ActorSystem, modules: readonly string[]): Promise<void> {
  for (const url of modules) {
    const exports = await importForParent(url, system.node)
    const definitions: Record<string, AnyBehavior> = {}
    for (const [name, value] of Object.entries(exports ?? {}))
      if (isDefinition(value)) definitions[name] = value
    system.expose(definitions)
  }
}

/** @internal A unique child node name from a prefix: never an endpoint (`name@host:port`). */
export function childNodeName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

/** @internal The name both sides expose the function host under. */
export const FUNCTION_HOST = 'troupe.function-host'

/** @internal The actor a nursery's `runInActor` runs a function in, on a child node. */
export const FunctionHost = defineActor<never>({
  receive(_state, _message, ctx) {
    ctx.unhandled()
  },
})

/** @internal The name both sides expose the module loader under. */
export const MODULE_LOADER = 'troupe.module-loader'

/** @internal Runs on a pooled child: loads the modules it is given, then answers. */
export const ModuleLoader = defineActor<{ modules: string[] }>({
  async receive(_state, { modules }, ctx) {
    await exposeModules(ctx.system, modules)
    ctx.reply(true)
    ctx.stop()
  },
})

/** The program a child node runs (its main, which starts its node), as the layer that has `start` gives it. */
export const CHILD_MAIN = new ExtensionKey<URL>('child-node layer', "start it with start() from 'troupe'")

/**
 * @internal The tsx a child node loads: one that imports a TypeScript module must have it (else
 * this throws `TsxNotFoundError`, naming the module), and the child of a program that runs under
 * tsx gets it too (what it loads may import TypeScript). A child of JavaScript alone starts without
 * it, about three times faster.
 */
export function tsxFor(modules: readonly string[]): TsxLocation | undefined {
  // Troupe's own sources (a checkout) are TypeScript too: the child's main is one of them.
  const typescript = [import.meta.url, ...modules].find((module) => isTypeScriptModule(module))
  if (typescript !== undefined) return requireTsx(typescript)
  return tsxOfThisProcess() === undefined ? undefined : findTsx()
}

/** @internal A module given to a child node, as a file URL; anything else is refused. */
export function moduleUrl(module: string | URL): string {
  const url = module instanceof URL ? module : new URL(module)
  if (url.protocol !== 'file:')
    throw new InvalidOptionError('modules', `expected file URLs (import.meta.url), got ${url.href}`)
  return url.href
}

/**
 * Starts a node in a worker thread or a child process, connected to this system (which gets a
 * node-to-node layer without a listening port if it has none). The child exposes the actor
 * definitions its `modules` export; refs, tell, ask, watch and link work across the boundary, and
 * when the child dies the watchers of its actors get `Terminated` with reason `node-down`.
 *
 * @example
 * ```ts
 * system.expose({ Counter })
 * const child = await startChildNode(system, { in: 'thread', modules: [new URL('./actors.ts', import.meta.url).href] })
 * const counter = system.spawn(Counter, { on: child.node })
 * await counter.ask({ type: 'get' })
 * await child.stop()
 * ```
 */
export async function startChildNode(system: ActorSystem, options: ChildNodeOptions): Promise<ChildNode> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'expected an object')
  if (options.in !== 'thread' && options.in !== 'process')
    throw new InvalidOptionError('in', `expected 'thread' or 'process', got ${String(options.in)}`)
  const prefix = options.name ?? 'child'
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(prefix))
    throw new InvalidOptionError('name', `expected letters, digits and _ . - , got ${JSON.stringify(prefix)}`)
  const graceMs = options.graceMs ?? 1500
  if (!Number.isInteger(graceMs) || graceMs < 1)
    throw new InvalidOptionError('graceMs', `expected a positive integer, got ${String(graceMs)}`)
  const modules = (options.modules ?? []).map(moduleUrl)
  const tsx = tsxFor(modules)
  const node = options.node ?? childNodeName(prefix)
  const entry = system.extensions.require(CHILD_MAIN)
  const remote = openRemoteNode(system)
  system.expose({ [MODULE_LOADER]: ModuleLoader, [FUNCTION_HOST]: FunctionHost })
  const network = await prepareChildNetwork(system)
  const boot: ChildBoot = {
    node,
    logLevel: system.logger.level,
    logFormat: system.logFormat,
    modules,
    liveness: remote.liveness,
    network: network === undefined ? undefined : bootNetwork(network),
    untrusted: remote.trust.toOption(),
    codec: remote.codecSettings,
  }
  const transport = system.extensions.require(CHILD_TRANSPORTS)[options.in]
  const spawning = transport.spawn({
    entry,
    node: system.node,
    incarnation: remote.incarnation,
    childNode: node,
    ...(tsx === undefined ? {} : { tsx }),
    boot,
    data: options.data,
    cookie: network?.cookie,
    graceMs,
    logger: system.logger,
  })
  // What is sent to the child while it starts waits for its connection instead of failing.
  const started = spawning.then(async ({ link, ...child }) => {
    remote.adopt(await link.connect(undefined, node), true)
    return { node, in: options.in, ...child }
  })
  remote.awaitConnection(node, started)
  return await started
}

function bootNetwork({ cookie: _cookie, liveness: _liveness, ...rest }: ChildNetwork): ChildBoot['network'] {
  return rest
}
