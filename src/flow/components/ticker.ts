import { type Component, defineComponent } from '../component.ts'
import { createEvent } from '../event.ts'
import { rebuildable } from '../recipes.ts'

/** Options of {@link Ticker}. */
export interface TickerOptions {
  /** Time between two events. @default 1000 */
  intervalMs?: number
  /** The data of each event, made from its number (1, 2, …). @default the number */
  data?: (n: number) => unknown
  /** Stop after this many events. @default no end */
  count?: number
}

/** A source of test events: one every `intervalMs`, sent on `outbox`. */
export function Ticker(options: TickerOptions = {}): Component {
  const intervalMs = options.intervalMs ?? 1000
  if (!(intervalMs > 0))
    throw new TypeError(`Ticker's intervalMs must be positive, got ${String(intervalMs)}`)
  const data = options.data ?? ((n: number) => n)
  let timer: NodeJS.Timeout | undefined
  return rebuildable(
    defineComponent({
      type: 'Ticker',
      source: true,
      start(ctx) {
        let n = 0
        let busy = false
        timer = setInterval(() => {
          // A tick that finds the last one still waiting for room is skipped: the ticker keeps its pace.
          if (busy) return
          n++
          if (options.count !== undefined && n > options.count) {
            clearInterval(timer)
            return
          }
          busy = true
          void ctx.emit(createEvent(data(n), { tick: n })).finally(() => {
            busy = false
          })
        }, intervalMs)
      },
      stop() {
        clearInterval(timer)
      },
    }),
    'Ticker',
    options,
  )
}
