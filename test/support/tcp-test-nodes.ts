import { type ActorSystem, start } from 'troupe'
import { freePort } from 'troupe/testkit'

type StartOptions = NonNullable<Parameters<typeof start>[0]>

/**
 * Nodes over TCP on loopback for one test file, all with `cookie`, each stopped by `stopAll()`
 * (call it from `afterEach`), last started first. Heartbeats are fast (100 ms, silent for 600 ms
 * is down) unless `options` say otherwise.
 */
export function tcpTestNodes(cookie: string) {
  const cleanups: (() => Promise<unknown>)[] = []
  return {
    async node(name: string, options: Omit<StartOptions, 'node' | 'cookie'> = {}): Promise<ActorSystem> {
      const system = await start({
        node: `${name}@127.0.0.1:${await freePort()}`,
        cookie,
        logLevel: 'silent',
        heartbeatIntervalMs: 100,
        heartbeatTimeoutMs: 600,
        ...options,
      })
      cleanups.push(() => system.shutdown())
      return system
    },
    /** Adds something else to stop with the nodes (stopped before the nodes started before it). */
    onStop(cleanup: () => Promise<unknown>): void {
      cleanups.push(cleanup)
    },
    async stopAll(): Promise<void> {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
    },
  }
}
