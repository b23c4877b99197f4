import { type Component, defineComponent } from '../component.ts'
import { deriveEvent, type FlowEvent } from '../event.ts'

/**
 * A component that maps each event's data with `fn` (sync or async) and sends the result on,
 * keeping the event's id and meta. A throw or rejection sends the event to the error route.
 *
 * @example
 * ```ts
 * flow.add('upper', Transform((text: string) => text.toUpperCase()))
 * ```
 */
export function Transform<In = unknown, Out = unknown>(
  fn: (data: In, event: FlowEvent<In>) => Out | Promise<Out>,
): Component {
  if (typeof fn !== 'function') throw new TypeError('Transform takes a function')
  return defineComponent({
    type: 'Transform',
    // Not async: a sync `fn` passes the event on in the same turn, with no promise of its own.
    receive(event, ctx) {
      const data = fn(event.data as In, event as FlowEvent<In>)
      if (isPromiseLike(data)) return Promise.resolve(data).then((out) => ctx.emit(deriveEvent(event, out)))
      return ctx.emit(deriveEvent(event, data))
    },
  })
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function'
}
