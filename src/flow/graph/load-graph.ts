import { type ActorSystem, InvalidOptionError } from '../../index.ts'
import type { Component } from '../component.ts'
import { type Director, director, type Endpoint } from '../director.ts'
import { GraphError } from '../errors.ts'
import { componentOf } from './component-types.ts'
import { type ComponentSpec, type GraphSpec, readGraphFile } from './graph-file.ts'

/**
 * Builds the graph a YAML or JSON file describes (see `readGraphFile`) on `system`, not started:
 * every component is made and every connection checked first, so a file with an error starts
 * nothing. Errors are `GraphError`s that name the line and the component.
 *
 * @example
 * ```ts
 * const flow = await loadGraph(system, 'graph.yaml')
 * await flow.start()
 * ```
 */
export async function loadGraph(system: ActorSystem, file: string): Promise<Director> {
  return await buildGraph(system, await readGraphFile(file))
}

/** {@link loadGraph} of a graph already read. */
export async function buildGraph(system: ActorSystem, spec: GraphSpec): Promise<Director> {
  const flow = director(system)
  const lineOf = new Map<string, number>()
  for (const component of spec.components) {
    if (component.name.includes('.'))
      throw new GraphError(
        `${spec.file}: a component name cannot hold '.' (it separates a box): '${component.name}'`,
        component.line,
        component.name,
      )
    const made = await componentOf(component, spec.file)
    add(flow, component, made, spec.file)
    lineOf.set(component.name, component.line)
  }
  for (const connection of spec.connections) {
    try {
      const from = endpoint(connection.from)
      const to = connection.to.map(endpoint)
      if (connection.error) flow.connectError(from, to)
      else flow.connect(from, to)
    } catch (error) {
      if (!(error instanceof GraphError)) throw error
      throw new GraphError(`${spec.file}: ${error.message}`, connection.line, error.component)
    }
  }
  return flow
}

/** Adds the component of `spec` to `flow`: an option it refuses is a `GraphError` with the line. */
function add(flow: Director, spec: ComponentSpec, component: Component, file: string): void {
  try {
    flow.add(spec.name, component, {
      ...(spec.capacity === undefined ? {} : { capacity: spec.capacity }),
      ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
      ...(spec.in === undefined ? {} : { in: spec.in }),
      ...(spec.on === undefined ? {} : { on: spec.on }),
    })
  } catch (error) {
    if (!(error instanceof InvalidOptionError) && !(error instanceof GraphError)) throw error
    throw new GraphError(`${file}: ${error.message}`, spec.line, spec.name)
  }
}

/** `component` or `component.box`. */
function endpoint(text: string): Endpoint {
  const dot = text.indexOf('.')
  return dot < 0 ? text : { component: text.slice(0, dot), box: text.slice(dot + 1) }
}
