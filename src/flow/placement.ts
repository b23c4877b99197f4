// Where a component of a graph runs: here, in a new worker thread or child process (`in`), or on
// another node (`on`); and how the other side makes it (see recipes.ts).
import { InvalidOptionError, type SpawnOptions } from '../index.ts'
import type { Component } from './component.ts'
import { type ComponentRecipe, exposedComponent, recipeOf } from './recipes.ts'

/** Where a component runs, as `ComponentOptions` give it. */
export interface Placement {
  readonly in?: 'thread' | 'process'
  readonly on?: string
}

/**
 * How the director spawns the actor of component `name`: here (`undefined` recipe), or elsewhere
 * with the recipe the other side makes it from. Throws `InvalidOptionError` at once for a
 * placement that cannot work.
 */
export function placementOf(
  name: string,
  component: Component,
  placement: Placement,
): { recipe?: ComponentRecipe; spawn: Pick<SpawnOptions, 'in' | 'on' | 'modules'> } {
  const where = placement.in ?? placement.on
  if (where === undefined) return { spawn: {} }
  if (placement.in !== undefined && placement.on !== undefined)
    throw new InvalidOptionError('in', `component '${name}': give in or on, not both`)
  if (placement.in !== undefined && placement.in !== 'thread' && placement.in !== 'process')
    throw new InvalidOptionError(
      'in',
      `component '${name}': expected 'thread' or 'process', got ${String(placement.in)}`,
    )
  if (placement.on !== undefined && (typeof placement.on !== 'string' || placement.on === ''))
    throw new InvalidOptionError('on', `component '${name}': expected a node name (name@host:port)`)
  const recipe = recipeOf(component)
  if (recipe === undefined)
    throw new InvalidOptionError(
      placement.in === undefined ? 'on' : 'in',
      `component '${name}' (${component.type}) cannot run in another ${placement.in ?? 'node'}: it is code that no message carries, so the other side must make it again. Expose it at the top level of its module, before start() (export const parts = exposeComponents(import.meta.url, { ${name}: … })), or use a built-in made from plain data`,
    )
  const spawn =
    placement.in !== undefined
      ? { in: placement.in, ...(recipe.kind === 'exposed' ? { modules: [recipe.module] } : {}) }
      : { on: placement.on as string }
  return { recipe, spawn }
}

/** Makes the component `recipe` describes, in the thread, process or node it was placed in. */
export async function componentFromRecipe(recipe: ComponentRecipe): Promise<Component> {
  switch (recipe.kind) {
    case 'exposed': {
      const found = exposedComponent(recipe.module, recipe.name)
      if (found !== undefined) return found
      throw new InvalidOptionError(
        'component',
        `no component '${recipe.name}' is exposed by ${recipe.module} here: this node must load that module (exposeComponents runs as it loads), before start() in a module that starts a system`,
      )
    }
    case 'type': {
      const { componentTypes } = await import('./graph/component-types.ts')
      const type = componentTypes[recipe.type]
      if (type === undefined)
        throw new InvalidOptionError('component', `no built-in component type '${recipe.type}' here`)
      return type.make({ ...recipe.options }, undefined)
    }
    case 'file': {
      const { componentOf } = await import('./graph/component-types.ts')
      return await componentOf(recipe.spec, recipe.file)
    }
  }
}
