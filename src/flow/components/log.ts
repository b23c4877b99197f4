import { type Component, defineComponent } from '../component.ts'
import { rebuildable } from '../recipes.ts'

/** Options of {@link Log}. */
export interface LogOptions {
  /** The level of events without an error (events with one are logged at `error`). @default 'info' */
  level?: 'trace' | 'debug' | 'info' | 'warn'
}

/** The director's log as a component: logs each event it receives (an error event at `error`, with what failed). */
export function Log(options: LogOptions = {}): Component {
  const level = options.level ?? 'info'
  return rebuildable(
    defineComponent({
      type: 'Log',
      receive(event, ctx) {
        if (event.error === undefined) {
          ctx.log[level]({ event: event.id, data: event.data }, `event ${event.id}`)
          return
        }
        const { component, name, message } = event.error
        ctx.log.error(
          { event: event.id, error: event.error },
          `component '${component}' failed on event ${event.id}: ${name}: ${message}`,
        )
      },
    }),
    'Log',
    options,
  )
}
