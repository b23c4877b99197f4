import { type Component, defineComponent, OUTBOX } from '../component.ts'
import { StatusError } from '../errors.ts'
import type { FlowEvent } from '../event.ts'

/**
 * A component that sends each event on the outbox of the first predicate it matches (one outbox
 * per route, named as the route), or on `outbox` when none matches. With nothing connected to
 * `outbox`, an event no route takes goes to the error route as a 404 (`StatusError`): an HTTP
 * request to a path no route serves gets 404 from `Http`, not a 504 after its timeout.
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
  const names = entries.map(([name]) => `'${name}'`).join(', ') || 'none'
  return defineComponent({
    type: 'Route',
    outboxes: entries.map(([name]) => name),
    receive(event, ctx) {
      const match = entries.find(([, predicate]) => predicate(event))
      if (match === undefined && !ctx.connected(OUTBOX)) {
        const request = [event.meta.method, event.meta.path].filter((part) => typeof part === 'string')
        const what = request.length === 0 ? '' : ` for ${request.join(' ')}`
        throw new StatusError(404, `no route${what}: the routes are ${names}`)
      }
      return ctx.emit(event, match?.[0] ?? OUTBOX)
    },
  })
}
