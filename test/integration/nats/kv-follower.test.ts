import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { KvFollower } from '../../../src/registry/nats/kv-follower.ts'
import { natsServerVersion, startNatsCluster } from '../../support/nats-server.ts'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const deadline = performance.now() + ms
  for (;;) {
    const found = await check()
    if (found !== undefined) return found
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe.skipIf(natsServerVersion() === undefined)('the watch of a bucket', () => {
  it('resumes after the server holding its consumer is killed while its client stays connected', async () => {
    const cluster = await startNatsCluster(3)
    cleanups.push(() => cluster.stop())
    const admin = await connect({
      servers: [...cluster.urls],
      reconnectTimeWait: 100,
      maxReconnectAttempts: -1,
    })
    cleanups.push(() => admin.close())
    const kv = await new Kvm(jetstream(admin)).create('follow', { history: 1, replicas: 3 })
    await kv.put('before', 'x')
    const jsm = await jetstreamManager(admin)
    const leader = (await jsm.streams.info('KV_follow')).cluster?.leader

    // The watch's client is on a server that is not the stream's leader, and stays there.
    const home = cluster.servers.find((server) => server.name !== leader)!
    const client = await connect({ servers: home.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 })
    cleanups.push(() => client.close())
    const statuses: string[] = []
    void (async () => {
      for await (const status of client.status()) statuses.push(status.type)
    })()
    const seen = new Set<string>()
    const logger = pino({ level: process.env.TEST_LOG === undefined ? 'silent' : 'info' })
    const follower = new KvFollower(
      'the test bucket',
      jetstream(client, { timeout: 2000 }),
      'follow',
      (change) => seen.add(change.key),
      { idleHeartbeatMs: 1000, retryMs: 100, maxRetryMs: 1000 },
      logger,
    )
    cleanups.push(async () => follower.stop())

    // Its consumer (R1) is placed by the servers: start again until it is not on the client's server.
    let host: string | undefined
    for (let attempt = 0; attempt < 10 && (host === undefined || host === home.name); attempt++) {
      await follower.start()
      const name = follower.consumer!
      host = await until(
        'the consumer has a leader',
        async () => (await jsm.consumers.info('KV_follow', name)).cluster?.leader,
        5000,
      )
    }
    expect(host).not.toBe(home.name)
    await until('the watch shows the first key', () => (seen.has('before') ? true : undefined), 5000)

    await cluster.servers.find((server) => server.name === host)!.kill()
    // JetStream elects new leaders (seconds on 2.9): the put is tried until a leader takes it.
    await until(
      'the put after the kill',
      () =>
        kv.put('after', 'y').then(
          () => true,
          () => undefined,
        ),
      30_000,
    )
    // kv.watch's own recovery would wait for two missed 30 s heartbeats: over a minute.
    await until(
      'the watch shows the key put after the kill',
      () => (seen.has('after') ? true : undefined),
      30_000,
    )
    expect(statuses.filter((type) => type === 'disconnect' || type === 'reconnect')).toEqual([])
  }, 90_000)
})
