import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Component } from '../component.ts'
import { BasicAuth, type BasicAuthOptions } from '../components/basic-auth.ts'
import { Http, type HttpOptions } from '../components/http.ts'
import { Log, type LogOptions } from '../components/log.ts'
import { Route } from '../components/route.ts'
import { Stdout } from '../components/stdout.ts'
import { Ticker } from '../components/ticker.ts'
import { Transform } from '../components/transform.ts'
import { GraphError } from '../errors.ts'
import { fromGraphFile } from '../recipes.ts'
import type { ComponentSpec } from './graph-file.ts'

/** Makes a component of one type from its options in a graph file. */
interface ComponentType {
  /** The options it takes; any other is refused, with its line. */
  readonly options: readonly string[]
  /** Whether it needs `module: path#export` (what it runs is code, which a file cannot hold). */
  readonly module?: 'required' | 'none'
  make(options: Record<string, unknown>, loaded: unknown): Component
}

/** The component types a graph file may name, besides `module` (a factory of your own). */
export const componentTypes: Readonly<Record<string, ComponentType>> = {
  Ticker: {
    options: ['intervalMs', 'count', 'data'],
    make: ({ data, ...rest }) => Ticker({ ...rest, ...(data === undefined ? {} : { data: () => data }) }),
  },
  Stdout: { options: ['prefix', 'timestamp'], make: (options) => Stdout(options) },
  Log: { options: ['level'], make: (options) => Log(options as LogOptions) },
  Http: {
    options: ['port', 'host', 'timeoutMs', 'maxBodyBytes', 'maxPending'],
    make: (options) => Http(options as HttpOptions),
  },
  BasicAuth: {
    options: ['users', 'realm'],
    make: (options) => BasicAuth(options as unknown as BasicAuthOptions),
  },
  Transform: {
    options: [],
    module: 'required',
    make: (_options, fn) => Transform(fn as (data: unknown) => unknown),
  },
  Route: {
    options: [],
    module: 'required',
    make: (_options, routes) => Route(routes as Record<string, () => boolean>),
  },
}

/**
 * The component a graph file's entry describes: a built-in type, or `type: module` (a factory
 * taking its options). Placed in another thread, process or node, it is built there from the
 * same entry.
 */
export async function componentOf(spec: ComponentSpec, file: string): Promise<Component> {
  return fromGraphFile(await made(spec, file), spec, resolve(file))
}

async function made(spec: ComponentSpec, file: string): Promise<Component> {
  const fail = (message: string, cause?: unknown) => {
    const error = new GraphError(`${file}: component '${spec.name}': ${message}`, spec.line, spec.name)
    if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause })
    return error
  }
  const loaded =
    spec.module === undefined
      ? undefined
      : await load(spec.module, file).catch((error: unknown) => {
          throw fail(error instanceof Error ? error.message : String(error), error)
        })
  if (spec.type === 'module') {
    if (typeof loaded !== 'function')
      throw fail('type module needs module: <path>#<export> naming a function that makes a component')
    try {
      return (await loaded(spec.options)) as Component
    } catch (error) {
      throw fail(`its factory failed: ${error instanceof Error ? error.message : String(error)}`, error)
    }
  }
  const type = componentTypes[spec.type]
  if (type === undefined)
    throw fail(
      `unknown type '${spec.type}' (known: ${[...Object.keys(componentTypes), 'module'].join(', ')})`,
    )
  const unknown = Object.keys(spec.options).filter((key) => !type.options.includes(key))
  if (unknown.length > 0)
    throw fail(
      `${spec.type} takes no option ${unknown.map((k) => `'${k}'`).join(', ')} (it takes ${type.options.map((k) => `'${k}'`).join(', ') || 'none'})`,
    )
  if (type.module === 'required' && loaded === undefined)
    throw fail(`${spec.type} needs module: <path>#<export>`)
  try {
    return type.make({ ...spec.options }, loaded)
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error)
  }
}

/** The export `path#name` names, the path relative to the graph file. */
async function load(reference: string, file: string): Promise<unknown> {
  const hash = reference.lastIndexOf('#')
  const path = hash < 0 ? reference : reference.slice(0, hash)
  const name = hash < 0 ? 'default' : reference.slice(hash + 1)
  const url = pathToFileURL(resolve(dirname(file), path)).href
  const module = (await import(url)) as Record<string, unknown>
  if (!(name in module)) throw new Error(`${path} has no export '${name}'`)
  return module[name]
}
