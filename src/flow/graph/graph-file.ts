import { readFile } from 'node:fs/promises'
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml'
import { GraphError } from '../errors.ts'

/** One component of a graph file: its name, type, options and the line it is on. */
export interface ComponentSpec {
  readonly name: string
  readonly type: string
  /** Everything under the component but `type`, `module`, `capacity`, `timeoutMs`, `in` and `on`: the options of its type. */
  readonly options: Readonly<Record<string, unknown>>
  /** `path#export` of a module that makes it (for `type: module` or `Transform`), relative to the file. */
  readonly module?: string
  readonly capacity?: number
  readonly timeoutMs?: number
  /** `thread` or `process`: where it runs, in a child of the node that runs the file. */
  readonly in?: 'thread' | 'process'
  /** The node it runs on (`name@host:port`), which hosts components (`hostComponents`). */
  readonly on?: string
  readonly line: number
}

/** One connection of a graph file: `from` and `to` are `component` or `component.box`. */
export interface ConnectionSpec {
  readonly from: string
  readonly to: readonly string[]
  readonly error: boolean
  readonly line: number
}

/** A graph file, read and checked for shape (what each name means is checked when it is built). */
export interface GraphSpec {
  readonly file: string
  readonly components: readonly ComponentSpec[]
  readonly connections: readonly ConnectionSpec[]
}

/**
 * Reads a graph from YAML or JSON (JSON is YAML):
 *
 * ```yaml
 * components:
 *   ticker: { type: Ticker, intervalMs: 100 }
 *   out:    { type: Stdout, prefix: "got: " }
 * connections:
 *   - { from: ticker, to: [out] }
 * errors:
 *   - { from: out, to: log }
 * ```
 *
 * A syntax error or a wrong shape is a `GraphError` that names the line (and the component).
 */
export async function readGraphFile(file: string): Promise<GraphSpec> {
  return parseGraph(await readFile(file, 'utf8'), file)
}

/** {@link readGraphFile} of text already read; `file` names it in errors. */
export function parseGraph(text: string, file: string): GraphSpec {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const first = doc.errors[0]
  if (first !== undefined) {
    const line = first.linePos?.[0].line ?? lines.linePos(first.pos[0]).line
    throw new GraphError(`${file}: ${first.message.split('\n')[0]}`, line)
  }
  const lineOf = (node: unknown): number =>
    (node as Node | undefined)?.range === undefined ? 1 : lines.linePos((node as Node).range![0]).line
  const root = doc.contents
  if (!isMap(root))
    throw new GraphError(`${file}: expected a map with components and connections`, lineOf(root))
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?'
    if (!['components', 'connections', 'errors'].includes(key))
      throw new GraphError(
        `${file}: unknown section '${key}' (expected components, connections, errors)`,
        lineOf(pair.key),
      )
  }
  const componentsNode = root.get('components', true)
  if (!isMap(componentsNode))
    throw new GraphError(`${file}: 'components' must map names to components`, lineOf(componentsNode ?? root))
  const components: ComponentSpec[] = []
  for (const pair of componentsNode.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : ''
    const line = lineOf(pair.key)
    if (!isMap(pair.value))
      throw new GraphError(`${file}: component '${name}' must be a map with a type`, line, name)
    const body = pair.value.toJSON() as Record<string, unknown>
    const { type, module, capacity, timeoutMs, in: place, on, ...options } = body
    if (typeof type !== 'string') throw new GraphError(`${file}: component '${name}' has no type`, line, name)
    if (module !== undefined && typeof module !== 'string')
      throw new GraphError(`${file}: the module of component '${name}' must be a path#export`, line, name)
    for (const [key, value] of [
      ['capacity', capacity],
      ['timeoutMs', timeoutMs],
    ] as const)
      if (value !== undefined && !(typeof value === 'number' && value > 0))
        throw new GraphError(`${file}: ${key} of component '${name}' must be a positive number`, line, name)
    if (place !== undefined && place !== 'thread' && place !== 'process')
      throw new GraphError(`${file}: in of component '${name}' must be thread or process`, line, name)
    if (on !== undefined && (typeof on !== 'string' || on === ''))
      throw new GraphError(`${file}: on of component '${name}' must be a node name`, line, name)
    if (place !== undefined && on !== undefined)
      throw new GraphError(`${file}: component '${name}' takes in or on, not both`, line, name)
    components.push({
      name,
      type,
      options,
      line,
      ...(module === undefined ? {} : { module: module as string }),
      ...(capacity === undefined ? {} : { capacity: capacity as number }),
      ...(timeoutMs === undefined ? {} : { timeoutMs: timeoutMs as number }),
      ...(place === undefined ? {} : { in: place }),
      ...(on === undefined ? {} : { on: on as string }),
    })
  }
  const connections: ConnectionSpec[] = []
  for (const [section, error] of [
    ['connections', false],
    ['errors', true],
  ] as const) {
    const list = root.get(section, true)
    if (list === undefined) continue
    if (!isSeq(list))
      throw new GraphError(`${file}: '${section}' must be a list of { from, to }`, lineOf(list))
    for (const item of list.items) {
      const line = lineOf(item)
      const value = isMap(item) ? (item.toJSON() as Record<string, unknown>) : undefined
      const to = typeof value?.to === 'string' ? [value.to] : value?.to
      if (
        typeof value?.from !== 'string' ||
        !Array.isArray(to) ||
        to.length === 0 ||
        !to.every((t) => typeof t === 'string')
      )
        throw new GraphError(
          `${file}: each of '${section}' needs from: <component> and to: <component or list>`,
          line,
        )
      connections.push({ from: value.from, to: to as string[], error, line })
    }
  }
  return { file, components, connections }
}
