import { InvalidOptionError } from '../../core/errors.ts'
import type { ActorSystem } from '../../core/system.ts'
import { isTypeScriptModule } from '../../transport/tsx-location.ts'
import {
  type ChildNode,
  type ChildNodeOptions,
  ModuleLoader,
  moduleUrl,
  startChildNode,
  tsxFor,
} from './child-node.ts'

/** Options of {@link createChildPool}. */
export interface ChildPoolOptions extends ChildNodeOptions {
  /**
   * How many started children wait to be taken; the pool starts a new one for each it hands out.
   * @default 2
   */
  size?: number
}

/** Children started ahead of need: taking one costs a message and the import of its modules. */
export interface ChildPool {
  /**
   * A started child that has also loaded `modules` (beyond the pool's own, which every child loads
   * as it starts); the pool starts another to take its place. Children of a pool of JavaScript
   * modules run without tsx: for a TypeScript module given here a new child starts, with tsx.
   */
  take(options?: { modules?: readonly (string | URL)[] }): Promise<ChildNode>
  /** Resolves once every child waiting in the pool has started (to warm up before serving). */
  ready(): Promise<void>
  /** Stops the children still waiting in the pool (not those taken). */
  close(): Promise<void>
}

/**
 * Starts `size` child nodes ahead of need, each loading the pool's `modules`. Starting a child
 * costs hundreds of milliseconds (most of it loading TypeScript); a child taken from the pool is
 * ready at once, or after one message and an import for modules given to `take`.
 *
 * @example
 * ```ts
 * const pool = createChildPool(system, { in: 'process', size: 2 })
 * const child = await pool.take({ modules: [new URL('./actors.ts', import.meta.url)] })
 * const counter = system.spawn(Counter, { on: child.node })
 * ```
 */
export function createChildPool(system: ActorSystem, options: ChildPoolOptions): ChildPool {
  const size = options.size ?? 2
  // Fail now, not in the background, on options startChildNode would refuse.
  const pooledTsx = tsxFor((options.modules ?? []).map(moduleUrl))
  if (!Number.isInteger(size) || size < 1) {
    throw new InvalidOptionError('size', `expected a positive integer, got ${String(size)}`)
  }
  const { size: _size, ...childOptions } = options
  const waiting: Promise<ChildNode>[] = []
  let closed = false
  const refill = () => {
    while (!closed && waiting.length < size) {
      const starting = startChildNode(system, childOptions)
      starting.catch(() => {})
      waiting.push(starting)
    }
  }
  refill()
  return {
    async take(takeOptions = {}) {
      if (closed) throw new InvalidOptionError('pool', 'the pool is closed')
      const modules = (takeOptions.modules ?? []).map(moduleUrl)
      // A pooled child without tsx cannot import TypeScript: a new one starts with these modules.
      if (pooledTsx === undefined && modules.some((module) => isTypeScriptModule(module)))
        return await startChildNode(system, {
          ...childOptions,
          modules: [...(childOptions.modules ?? []), ...modules],
        })
      const next = waiting.shift() ?? startChildNode(system, childOptions)
      refill()
      const child = await next
      if (modules.length > 0) {
        await system.spawn(ModuleLoader, { on: child.node }).ask({ modules }, { timeout: 30_000 })
      }
      return child
    },
    async ready() {
      await Promise.allSettled([...waiting])
    },
    async close() {
      closed = true
      const children = await Promise.allSettled(waiting.splice(0))
      await Promise.all(children.map((c) => (c.status === 'fulfilled' ? c.value.stop() : undefined)))
    },
  }
}
