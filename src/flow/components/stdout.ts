import { type Component, defineComponent } from '../component.ts'
import { rebuildable } from '../recipes.ts'

/** Options of {@link Stdout}. */
export interface StdoutOptions {
  /** Written before each line. @default '' */
  prefix?: string
  /** Start each line with the time, as an ISO date. @default false */
  timestamp?: boolean
  /** Where lines go. @default process.stdout */
  write?: (line: string) => void
}

/**
 * A component that writes each event's data as a line (strings as they are, the rest as JSON),
 * then sends the event on.
 */
export function Stdout(options: StdoutOptions = {}): Component {
  const prefix = options.prefix ?? ''
  const write = options.write ?? ((line: string) => process.stdout.write(line))
  return rebuildable(
    defineComponent({
      type: 'Stdout',
      async receive(event, ctx) {
        const text = typeof event.data === 'string' ? event.data : JSON.stringify(event.data)
        write(`${options.timestamp === true ? `${new Date().toISOString()} ` : ''}${prefix}${text}\n`)
        await ctx.emit(event)
      },
    }),
    'Stdout',
    options,
  )
}
