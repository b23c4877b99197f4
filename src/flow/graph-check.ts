import { GraphError } from './errors.ts'

/** A connection of a graph, from a component's outbox to a component's inbox. */
export interface Wire {
  readonly from: string
  readonly outbox: string
  readonly to: string
  readonly inbox: string
}

/**
 * Rejects a cycle that events can never leave: a group of components that reach each other, none
 * of which ends events itself (a source such as `Http`, whose inbox takes the answers to its
 * requests) and none with a connection out of the group. Events that enter it would go round
 * without end.
 */
export function checkCycles(
  components: ReadonlyMap<string, { readonly source: boolean }>,
  wires: readonly Wire[],
): void {
  const next = new Map<string, Set<string>>()
  for (const name of components.keys()) next.set(name, new Set())
  for (const wire of wires) next.get(wire.from)?.add(wire.to)
  for (const group of stronglyConnected([...components.keys()], next)) {
    const looped = group.length > 1 || next.get(group[0]!)?.has(group[0]!) === true
    if (!looped) continue
    const members = new Set(group)
    const ends = group.some((name) => components.get(name)?.source === true)
    const leaves = group.some((name) => [...(next.get(name) ?? [])].some((to) => !members.has(to)))
    if (!ends && !leaves)
      throw new GraphError(
        `the components ${group.map((name) => `'${name}'`).join(', ')} form a cycle with no exit: events that enter it would go round without end`,
        undefined,
        group[0],
      )
  }
}

/** Tarjan's strongly connected components, iteratively (graphs from files may be deep). */
function stronglyConnected(
  nodes: readonly string[],
  next: ReadonlyMap<string, ReadonlySet<string>>,
): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const groups: string[][] = []
  let counter = 0
  for (const root of nodes) {
    if (index.has(root)) continue
    const work: { node: string; edges: Iterator<string> }[] = []
    const visit = (node: string) => {
      index.set(node, counter)
      low.set(node, counter++)
      stack.push(node)
      onStack.add(node)
      work.push({ node, edges: (next.get(node) ?? new Set<string>()).values() })
    }
    visit(root)
    while (work.length > 0) {
      const top = work[work.length - 1]!
      const step = top.edges.next()
      if (!step.done) {
        const to = step.value
        if (!index.has(to)) visit(to)
        else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(top.node)!))
      if (low.get(top.node) === index.get(top.node)) {
        const group: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          group.push(member)
        } while (member !== top.node)
        groups.push(group.reverse())
      }
    }
  }
  return groups
}
