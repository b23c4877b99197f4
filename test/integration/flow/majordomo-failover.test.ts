// A worker that dies holding a request: a worker in a child process, SIGKILLed once it holds it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type Broker,
  type MdpClient,
  MdpServiceError,
  mdpClient,
  startBroker,
  startWorker,
} from '../../../src/flow/majordomo/index.ts'
import {
  Cleanup,
  captureLogger,
  idleWorkers,
  linesOf,
  spawnTs,
  stopChild,
  until,
} from './majordomo-support.ts'

const INTERVAL = 150
const LIVENESS = 3
const EXPIRY = INTERVAL * LIVENESS

describe.each([
  ['a socket a request', false],
  ['multiplex', true],
])('MajorDomo with a worker that dies holding a request, client with %s', (_, multiplex) => {
  let cleanup: Cleanup
  let broker: Broker
  let client: MdpClient
  beforeEach(async () => {
    cleanup = new Cleanup()
    broker = cleanup.add(
      await startBroker({
        endpoint: 'tcp://127.0.0.1:*',
        heartbeatIntervalMs: INTERVAL,
        heartbeatLiveness: LIVENESS,
        logger: captureLogger(),
      }),
      (b) => b.close(),
    )
    client = cleanup.add(mdpClient({ broker: broker.endpoint, multiplex }), (c) => c.close())
  })
  afterEach(() => cleanup.run())

  /** A worker in a child process that holds every request it gets, started and known to the broker. */
  async function holdingWorker(service: string) {
    const child = cleanup.add(
      spawnTs('troupe-worker.ts', [broker.endpoint, service, String(INTERVAL), 'hold']),
      stopChild,
    )
    const output = linesOf(child)
    await output.waitFor(/^started$/)
    await idleWorkers(broker, service, 1, 10_000)
    return { child, output }
  }

  it('sends the request once to another worker, and drops the dead one after the liveness', async () => {
    const { child, output } = await holdingWorker('job')
    const reply = client.request('job', 'work-1', { timeout: 10_000 })
    await output.waitFor(/^holding work-1$/)
    const served: string[] = []
    cleanup.add(
      startWorker({
        broker: broker.endpoint,
        service: 'job',
        heartbeatIntervalMs: INTERVAL,
        heartbeatLiveness: LIVENESS,
        handler: (body) => {
          served.push(body[0]!.toString())
          return [Buffer.from(`done ${body[0]}`)]
        },
      }),
      (w) => w.close(),
    )
    await idleWorkers(broker, 'job', 1)
    const killedAt = performance.now()
    await stopChild(child, 'SIGKILL')

    expect((await reply).map(String)).toEqual(['done work-1'])
    const tookMs = performance.now() - killedAt
    expect(served).toEqual(['work-1'])
    expect(broker.stats()).toMatchObject({ workers: 1, redelivered: 1, lost: 0 })
    // Counted dead no sooner than a liveness after its last heartbeat (at most an interval before the kill).
    expect(tookMs).toBeGreaterThanOrEqual(EXPIRY - INTERVAL - 20)
    expect(tookMs).toBeLessThan(EXPIRY + INTERVAL + 3000)
  })

  it('fails the request with the 502 error reply when no other worker serves the service', async () => {
    const { child, output } = await holdingWorker('lonely')
    const reply = client.request('lonely', 'work-2', { timeout: 10_000 }).catch((error: unknown) => error)
    await output.waitFor(/^holding work-2$/)
    await stopChild(child, 'SIGKILL')
    const failed = await reply
    expect(failed).toBeInstanceOf(MdpServiceError)
    expect(failed).toMatchObject({ service: 'lonely', code: '502' })
    expect((failed as Error).message).toContain('died while holding the request')
    expect(broker.stats()).toMatchObject({ workers: 0, lost: 1 })
    expect(
      broker.stats().services.lonely,
      'a service with no workers and no requests is forgotten',
    ).toBeUndefined()
    expect((await client.request('mmi.service', 'lonely')).map(String)).toEqual(['404'])
  })

  it('fails the request when the second worker dies holding it too', async () => {
    const first = await holdingWorker('twice')
    const reply = client.request('twice', 'work-3', { timeout: 10_000 }).catch((error: unknown) => error)
    await first.output.waitFor(/^holding work-3$/)
    const second = await holdingWorker('twice')
    await stopChild(first.child, 'SIGKILL')
    await second.output.waitFor(/^holding work-3$/)
    await stopChild(second.child, 'SIGKILL')
    expect(await reply).toMatchObject({ code: '502', service: 'twice' })
    await until(() => broker.stats().workers === 0)
    expect(broker.stats()).toMatchObject({ redelivered: 1, lost: 1 })
  })
})
