// Actor definitions that modules expose at their top level (`expose(import.meta.url, { Worker })`).
// Every thread or process that loads such a module registers its definitions as the module loads,
// so a parent and the child node it starts for `spawn(Worker, { in })` both know the definition by
// the same module URL and name: the child needs no access to the module's exports, which it cannot
// read when the module's top-level code stops at `start()` there.
import type { AnyBehavior, HandlerBehavior, ProcessBehavior } from './behavior.ts'

/** Where a module exposed a definition: its URL (`import.meta.url`) and the name it gave. */
export interface DefinitionHome {
  readonly module: string
  readonly name: string
}

const homes = new WeakMap<object, DefinitionHome>()
const byModule = new Map<string, Map<string, AnyBehavior>>()

/** Whether `value` is what `defineActor` or `defineProcess` returns (bare functions are not). */
export function isActorDefinition(
  value: unknown,
): value is HandlerBehavior<never, unknown, never> | ProcessBehavior<never, never> {
  if (typeof value !== 'object' || value === null) return false
  const kind = (value as { kind?: unknown }).kind
  return kind === 'handler' || kind === 'process'
}

/** Registers `definition` as exposed by `module` under `name` in this thread or process. */
export function registerDefinition(module: string, name: string, definition: AnyBehavior): void {
  let definitions = byModule.get(module)
  if (definitions === undefined) {
    definitions = new Map()
    byModule.set(module, definitions)
  }
  definitions.set(name, definition)
  homes.set(definition, { module, name })
}

/** Where a module exposed `definition`, if one did here. */
export function homeOf(definition: unknown): DefinitionHome | undefined {
  return typeof definition === 'object' && definition !== null ? homes.get(definition) : undefined
}

/** The definition `module` exposed under `name` here, if it did. */
export function exposedDefinition(module: string, name: string): AnyBehavior | undefined {
  return byModule.get(module)?.get(name)
}
