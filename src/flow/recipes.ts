// How a component placed in another thread, process or node is made again there. A component is
// code (functions, closures), which no message can carry: what crosses is a recipe that the other
// side follows to make the same component. Three kinds: a module exposed it at its top level
// (`exposeComponents(import.meta.url, { square })`), so every process that loads the module has it
// under the same name; a built-in made from plain data (`Stdout({ prefix })`); or a graph file's
// entry, which the other side builds from the same file.
import { InvalidOptionError } from '../index.ts'
import type { Component } from './component.ts'
import type { ComponentSpec } from './graph/graph-file.ts'

/** What another thread, process or node follows to make a component again. */
export type ComponentRecipe =
  /** Exposed by `module` (a file URL) under `name`, with {@link exposeComponents}. */
  | { readonly kind: 'exposed'; readonly module: string; readonly name: string }
  /** A built-in type, made from options that are plain data. */
  | { readonly kind: 'type'; readonly type: string; readonly options: Readonly<Record<string, unknown>> }
  /** An entry of the graph file `file` (a path). */
  | { readonly kind: 'file'; readonly spec: ComponentSpec; readonly file: string }

const recipes = new WeakMap<Component, ComponentRecipe>()
const byModule = new Map<string, Map<string, Component>>()

/**
 * Exposes the components a module makes at its top level, so that a director can place them in
 * another thread, process or node (`flow.add('square', parts.square, { in: 'process' })`): the
 * child loads the module and finds each under its name, as `expose` does for actor definitions.
 * Call it before `start()` in a module that starts a system: a child loads the module up to there.
 * Built-ins made from plain data (`Stdout`, `Log`, `BasicAuth` with a user table, `Ticker`
 * without a `data` function, `Http`) need no exposing.
 *
 * @example
 * ```ts
 * export const parts = exposeComponents(import.meta.url, { square: Transform((n: number) => n * n) })
 * const system = await start()
 * const flow = director(system)
 * flow.add('square', parts.square, { in: 'process' })
 * ```
 */
export function exposeComponents<T extends Record<string, Component>>(moduleUrl: string, components: T): T {
  if (typeof moduleUrl !== 'string' || !moduleUrl.startsWith('file:'))
    throw new InvalidOptionError('moduleUrl', 'expected the file URL of the module (import.meta.url)')
  let exposed = byModule.get(moduleUrl)
  if (exposed === undefined) {
    exposed = new Map()
    byModule.set(moduleUrl, exposed)
  }
  for (const [name, component] of Object.entries(components)) {
    if (typeof component !== 'object' || component === null || typeof component.type !== 'string')
      throw new InvalidOptionError(
        `components.${name}`,
        'expected a component (Transform, defineComponent, …)',
      )
    exposed.set(name, component)
    recipes.set(component, { kind: 'exposed', module: moduleUrl, name })
  }
  return components
}

/** The component `module` exposed under `name` in this thread or process, if it did. */
export function exposedComponent(module: string, name: string): Component | undefined {
  return byModule.get(module)?.get(name)
}

/** Marks a built-in as made again from `type` and `options` elsewhere, when the options are plain data. */
export function rebuildable<C extends Component>(component: C, type: string, options: object): C {
  if (isPlainData(options))
    recipes.set(component, { kind: 'type', type, options: options as Record<string, unknown> })
  return component
}

/** Marks a component built from a graph file's entry as made again from that entry elsewhere. */
export function fromGraphFile<C extends Component>(component: C, spec: ComponentSpec, file: string): C {
  if (isPlainData(spec.options)) recipes.set(component, { kind: 'file', spec, file })
  return component
}

/** How `component` is made elsewhere, if it can be. */
export function recipeOf(component: Component): ComponentRecipe | undefined {
  return recipes.get(component)
}

/** Whether `value` is made of what crosses to another process as it is: no functions, no classes. */
function isPlainData(value: unknown, depth = 0): boolean {
  if (depth > 32) return false
  if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) return true
  if (typeof value !== 'object') return false
  if (Array.isArray(value)) return value.every((item) => isPlainData(item, depth + 1))
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return false
  return Object.values(value).every((item) => isPlainData(item, depth + 1))
}
