import { type ActorSystem, type InspectionEvent, type SystemOptions, start } from '../index.ts'

/**
 * Runs `fn` with a fresh system and always shuts it down, even when `fn` throws. Logs are
 * silent unless `TROUPE_LOG_LEVEL` or `options.logLevel` say otherwise.
 *
 * @example
 * ```ts
 * await withTestSystem(async (system) => {
 *   const counter = system.spawn(Counter)
 *   expect(await counter.ask({ type: 'get' })).toBe(0)
 * })
 * ```
 */
export async function withTestSystem<T>(
  fn: (system: ActorSystem) => Promise<T>,
  options: SystemOptions = {},
): Promise<T> {
  const system = await start({
    logLevel: (process.env.TROUPE_LOG_LEVEL as SystemOptions['logLevel']) ?? 'silent',
    ...options,
  })
  try {
    return await fn(system)
  } finally {
    await system.shutdown()
  }
}

/** Inspection events of one type. */
export type EventOf<T extends InspectionEvent['type']> = Extract<InspectionEvent, { type: T }>

/**
 * Resolves with the first inspection event of `type` that `match` accepts, rejecting at the
 * timeout. Subscribe before causing the event.
 */
export function nextEvent<T extends InspectionEvent['type']>(
  system: ActorSystem,
  type: T,
  match: (event: EventOf<T>) => boolean = () => true,
  options: { timeout?: number } = {},
): Promise<EventOf<T>> {
  const timeoutMs = options.timeout ?? 3000
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`no '${type}' event within ${timeoutMs} ms`))
    }, timeoutMs)
    const stop = system.inspect((event) => {
      if (event.type !== type || !match(event as EventOf<T>)) return
      clearTimeout(timer)
      stop()
      resolve(event as EventOf<T>)
    })
  })
}

/** Records every inspection event of a system until `stop()` is called. */
export function recordEvents(system: ActorSystem): {
  /** The events so far, oldest first. */
  events: InspectionEvent[]
  /** Stops recording. */
  stop: () => void
} {
  const events: InspectionEvent[] = []
  const stop = system.inspect((event) => events.push(event))
  return { events, stop }
}
