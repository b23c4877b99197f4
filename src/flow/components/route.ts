import { type Component, defineComponent, OUTBOX } from '../component.ts'
import type { FlowEvent } from '../event.ts'

/**
 * A component that sends each event on the outbox of the first predicate it matches (one outbox
 * per route, named as the route), or on `outbox` when none matches.
 *
 * @example
 * ```ts
 * const route = flow.add('route', Route({ big: (e) => e.data > 10, small: (e) => e.data <= 10 }))
 * flow.connect(route.out('big'), bigs)
 * ```
 */
export function Route(routes: Readonly<Record<string, (event: FlowEvent) => boolean>>): Component {
  const entries = Object.entries(routes)
  for (const [name, predicate] of entries) {
    if (typeof predicate !== 'function') throw new TypeError(`route '${name}' is not a predicate`)
    if (name === OUTBOX || name === 'error') throw new TypeError(`a route cannot be named '${name}'`)
  }
  return defineComponent({
    type: 'Route',
    outboxes: entries.map(([name]) => name),
    async receive(event, ctx) {
      const match = entries.find(([, predicate]) => predicate(event))
      await ctx.emit(event, match?.[0] ?? OUTBOX)
    },
  })
}
