/**
 * The run's `nats-server`, held by a process of its own: forked by run.ts, it starts the server
 * (with JetStream, in a temporary folder), sends `{ url }` over IPC, or `{ error }` when it cannot,
 * and stops the server and exits when its IPC channel closes, so that a run.ts that is SIGKILLed
 * (by a test's deadline) leaves no server behind.
 */
import { startNatsServer } from '../test/support/nats-server.ts'

/** What this process sends run.ts once, over IPC. */
export type NatsServerReady = { url: string } | { error: string }

try {
  const server = await startNatsServer({ name: 'bench' })
  const stop = () => void server.stop().finally(() => process.exit(0))
  process.once('disconnect', stop)
  process.once('SIGTERM', stop)
  process.send?.({ url: server.url } satisfies NatsServerReady)
} catch (error) {
  process.send?.(
    { error: error instanceof Error ? error.message : String(error) } satisfies NatsServerReady,
    () => process.exit(1),
  )
}
