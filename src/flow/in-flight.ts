// How many events of a graph are on their way, wherever its components run. Each component's
// actor counts what it began to send, what it could not deliver and what it finished; a count
// asked of every actor in turn (a wave) is a snapshot of none of them at one instant, so a
// drain ends only when two waves in a row find the same totals with nothing in flight: counters
// only grow, so nothing moved between them (the four-counter method of termination detection).
import type { Counts } from './component-actor.ts'

/** Reads one component's counts: at once for one in this thread, by an ask for one elsewhere. */
export type CountReader = (timeoutMs: number) => Counts | Promise<Counts>

/** Pause between two waves that found events in flight. */
const WAVE_PAUSE_MS = 5

interface Totals {
  readonly sent: number
  readonly settled: number
}

/** One wave: every component's counts, summed; one that does not answer within `timeoutMs` fails it. */
async function wave(readers: readonly CountReader[], timeoutMs: number): Promise<Totals> {
  const counts = await Promise.all(readers.map((read) => read(timeoutMs)))
  let sent = 0
  let settled = 0
  for (const count of counts) {
    sent += count.sent
    settled += count.dropped + count.handled
  }
  return { sent, settled }
}

/** The events sent to an inbox and not handled yet, as one wave finds them. */
export async function countInFlight(readers: readonly CountReader[], timeoutMs: number): Promise<number> {
  const { sent, settled } = await wave(readers, timeoutMs)
  return Math.max(0, sent - settled)
}

/**
 * Waits until nothing is in flight among the components `readers` read, for up to `timeoutMs`; resolves with what is
 * still in flight then (0 when the graph drained).
 */
export async function drain(readers: readonly CountReader[], timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs
  let last: Totals | undefined
  for (;;) {
    const left = deadline - performance.now()
    let totals: Totals
    try {
      totals = await wave(readers, Math.max(1, left))
    } catch {
      // A component busy past the deadline (or gone): what it holds is still in flight.
      return Math.max(1, (last?.sent ?? 1) - (last?.settled ?? 0))
    }
    if (totals.sent === totals.settled && last?.sent === totals.sent && last.settled === totals.settled)
      return 0
    if (performance.now() >= deadline) return Math.max(0, totals.sent - totals.settled)
    if (totals.sent !== totals.settled) await new Promise((resolve) => setTimeout(resolve, WAVE_PAUSE_MS))
    last = totals
  }
}
