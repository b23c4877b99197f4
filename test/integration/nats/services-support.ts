import { connect } from '@nats-io/transport-node'
import { type ActorSystem, start } from 'troupe'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { attachServices, type ServicesOptions } from '../../../src/services/index.ts'
import { type NatsServer, startNatsServer } from '../../support/nats-server.ts'

/** The connection type `connect` gives. */
export type Client = Awaited<ReturnType<typeof connect>>

/** One Troupe node for services tests: its system and its own NATS connection. */
export interface ServiceNode {
  readonly system: ActorSystem
  readonly client: Client
}

/**
 * A nats-server for the file (stopped after it) and a maker of nodes, each with its own
 * connection, shut down and closed after each test even when it fails.
 */
export function servicesHarness() {
  let server: NatsServer | undefined
  const cleanups: Array<() => Promise<unknown>> = []
  let count = 0

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false })
  })
  afterAll(async () => {
    await server?.stop()
  })
  afterEach(async () => {
    const pending = cleanups.splice(0).reverse()
    for (const cleanup of pending) await cleanup().catch(() => {})
  })

  return {
    get url(): string {
      if (server === undefined) throw new Error('the nats-server has not started')
      return server.url
    },
    /** A raw connection to the server, closed after the test. */
    async client(): Promise<Client> {
      const client = await connect({ servers: this.url })
      cleanups.push(() => client.close())
      return client
    },
    /** A node on `prefix` (unique per test, so tests never see each other's services). */
    async node(
      prefix: string,
      options: Omit<ServicesOptions, 'client' | 'prefix'> = {},
    ): Promise<ServiceNode> {
      const client = await this.client()
      const system = await start({ node: `n${++count}`, logLevel: 'silent' })
      cleanups.push(() => system.shutdown())
      attachServices(system, { client, prefix, ...options })
      return { system, client }
    },
  }
}

/** Resolves once `check()` holds, polling every few ms; rejects at the deadline with `what`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

let prefixes = 0
/** A subject prefix no other test of the run uses. */
export const freshPrefix = () => `t${process.pid}x${++prefixes}`
