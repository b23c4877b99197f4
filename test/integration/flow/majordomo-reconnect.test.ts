// A worker outlives its broker: it connects again to the one that takes the broker's place.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mdpClient, startBroker, startWorker } from '../../../src/flow/majordomo/index.ts'
import { Cleanup, captureLogger, idleWorkers, until } from './majordomo-support.ts'

const INTERVAL = 100

describe('a MajorDomo worker and a broker it lost', () => {
  let cleanup: Cleanup
  beforeEach(() => {
    cleanup = new Cleanup()
  })
  afterEach(() => cleanup.run())

  it('connects again after DISCONNECT, to a broker started on the same endpoint', async () => {
    const logger = captureLogger()
    const first = await startBroker({ endpoint: 'tcp://127.0.0.1:*', heartbeatIntervalMs: INTERVAL, logger })
    const endpoint = first.endpoint
    let closedFirst = false
    cleanup.add(first, (b) => closedFirst || b.close())
    const worker = cleanup.add(
      startWorker({
        broker: endpoint,
        service: 'phoenix',
        heartbeatIntervalMs: INTERVAL,
        reconnectMs: INTERVAL,
        handler: () => [Buffer.from('alive')],
        logger,
      }),
      (w) => w.close(),
    )
    await idleWorkers(first, 'phoenix', 1)
    await first.close()
    closedFirst = true
    await until(() => worker.stats().connections === 2)

    const second = cleanup.add(await startBroker({ endpoint, heartbeatIntervalMs: INTERVAL, logger }), (b) =>
      b.close(),
    )
    await idleWorkers(second, 'phoenix', 1)
    const client = cleanup.add(mdpClient({ broker: endpoint }), (c) => c.close())
    expect((await client.request('phoenix', 'x')).map(String)).toEqual(['alive'])
  })

  it('connects again when the broker falls silent for the liveness', async () => {
    const logger = captureLogger()
    // The broker's heartbeats are far slower than the worker expects: to the worker it is silent.
    const broker = cleanup.add(
      await startBroker({ endpoint: 'tcp://127.0.0.1:*', heartbeatIntervalMs: 60_000, logger }),
      (b) => b.close(),
    )
    const worker = cleanup.add(
      startWorker({
        broker: broker.endpoint,
        service: 'quiet',
        heartbeatIntervalMs: INTERVAL,
        heartbeatLiveness: 2,
        reconnectMs: 10,
        handler: (body) => body,
        logger,
      }),
      (w) => w.close(),
    )
    await until(() => worker.stats().connections >= 2)
    expect(logger.warnings.some((w) => w.msg.includes('lost the broker'))).toBe(true)
  })
})
