import { InvalidOptionError } from 'troupe'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type Broker,
  type MdpClient,
  MdpServiceError,
  MdpTimeoutError,
  mdpClient,
  startBroker,
  startWorker,
} from '../../../src/flow/majordomo/index.ts'
import { Cleanup, captureLogger, idleWorkers, until } from './majordomo-support.ts'

const text = (frames: Buffer[]) => frames.map((f) => f.toString())

describe.each([
  ['a socket a request', false],
  ['multiplex', true],
])('MajorDomo broker, worker and client, client with %s', (_, multiplex) => {
  let cleanup: Cleanup
  let broker: Broker
  let client: MdpClient
  const logger = captureLogger()

  beforeEach(async () => {
    cleanup = new Cleanup()
    broker = cleanup.add(await startBroker({ endpoint: 'tcp://127.0.0.1:*', logger }), (b) => b.close())
    client = cleanup.add(mdpClient({ broker: broker.endpoint, multiplex }), (c) => c.close())
  })
  afterEach(() => cleanup.run())

  const worker = (service: string, handler: (body: Buffer[]) => Promise<Buffer[]> | Buffer[]) =>
    cleanup.add(startWorker({ broker: broker.endpoint, service, handler, logger }), (w) => w.close())

  it('serves a request with a worker of its service', async () => {
    worker('echo', (body) => [Buffer.from('echo:'), ...body])
    expect(text(await client.request('echo', [Buffer.from('a'), Buffer.from('b')]))).toEqual([
      'echo:',
      'a',
      'b',
    ])
  })

  it('routes each request to its own service', async () => {
    worker('upper', (body) => body.map((f) => Buffer.from(f.toString().toUpperCase())))
    worker('reverse', async (body) => body.map((f) => Buffer.from([...f.toString()].reverse().join(''))))
    const [upper, reverse] = await Promise.all([
      client.request('upper', 'abc'),
      client.request('reverse', 'abc'),
    ])
    expect(text(upper)).toEqual(['ABC'])
    expect(text(reverse)).toEqual(['cba'])
  })

  it('takes the idle workers of a service in turn', async () => {
    const served: string[] = []
    const named = (name: string) => () => {
      served.push(name)
      return [Buffer.from(name)]
    }
    worker('rr', named('a'))
    worker('rr', named('b'))
    await idleWorkers(broker, 'rr', 2)
    for (let n = 0; n < 6; n++) await client.request('rr', 'x')
    expect(served.filter((w) => w === 'a')).toHaveLength(3)
    for (let n = 1; n < served.length; n++) expect(served[n]).not.toBe(served[n - 1])
  })

  it('keeps a request until a worker of its service comes', async () => {
    const reply = client.request('late', 'x')
    worker('late', () => [Buffer.from('here')])
    expect(text(await reply)).toEqual(['here'])
  })

  it('answers mmi.service with 200 or 404, and other mmi requests with 501', async () => {
    worker('present', (body) => body)
    await idleWorkers(broker, 'present', 1)
    expect(text(await client.request('mmi.service', 'present'))).toEqual(['200'])
    expect(text(await client.request('mmi.service', 'absent'))).toEqual(['404'])
    expect(text(await client.request('mmi.nothing', 'present'))).toEqual(['501'])
  })

  it('turns a handler that throws into an error reply, and the worker goes on serving', async () => {
    worker('fragile', (body) => {
      if (body[0]!.toString() === 'boom') throw new Error('it broke')
      return body
    })
    const failed = await client.request('fragile', 'boom').catch((error: unknown) => error)
    expect(failed).toBeInstanceOf(MdpServiceError)
    expect(failed).toMatchObject({ service: 'fragile', code: '500', detail: 'it broke' })
    expect(text(await client.request('fragile', 'fine'))).toEqual(['fine'])
  })

  it('rejects a request with no reply in time with an error naming its service', async () => {
    const failed = await client.request('nobody', 'x', { timeout: 100 }).catch((error: unknown) => error)
    expect(failed).toBeInstanceOf(MdpTimeoutError)
    expect((failed as Error).message).toContain("'nobody'")
    // The client goes on: its next request, on a fresh socket, gets its own reply.
    worker('nobody', () => [Buffer.from('now')])
    expect(text(await client.request('nobody', 'y'))).toEqual(['now'])
  })

  it('keeps many requests in flight and gives each its own reply', async () => {
    worker('id', async (body) => body)
    worker('id', (body) => body)
    const replies = await Promise.all(Array.from({ length: 300 }, (_, n) => client.request('id', String(n))))
    expect(replies.map((r) => r[0]!.toString())).toEqual(Array.from({ length: 300 }, (_, n) => String(n)))
  })
})

describe('a bounded queue per service', () => {
  it('refuses a request past maxQueuedRequests with the 503 error reply and a warning', async () => {
    const cleanup = new Cleanup()
    try {
      const logger = captureLogger()
      const broker = cleanup.add(
        await startBroker({ endpoint: 'tcp://127.0.0.1:*', maxQueuedRequests: 2, logger }),
        (b) => b.close(),
      )
      const client = cleanup.add(mdpClient({ broker: broker.endpoint }), (c) => c.close())
      const waiting = [client.request('slow', '1'), client.request('slow', '2')]
      // Each request has a socket of its own, so wait for both to arrive before the third.
      await until(() => broker.stats().services.slow?.queued === 2)
      const refused = await client.request('slow', '3').catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(MdpServiceError)
      expect(refused).toMatchObject({ service: 'slow', code: '503' })
      expect(logger.warnings.some((w) => w.msg.includes('maxQueuedRequests'))).toBe(true)
      expect(broker.stats().refused).toBe(1)
      cleanup.add(startWorker({ broker: broker.endpoint, service: 'slow', handler: (b) => b, logger }), (w) =>
        w.close(),
      )
      expect((await Promise.all(waiting)).map(text)).toEqual([['1'], ['2']])
    } finally {
      await cleanup.run()
    }
  })
})

describe('MajorDomo options', () => {
  it('refuses intervals and limits that are not positive, naming the option', async () => {
    await expect(startBroker({ endpoint: 'tcp://127.0.0.1:*', heartbeatIntervalMs: 0 })).rejects.toThrow(
      /heartbeatIntervalMs/,
    )
    await expect(startBroker({ endpoint: 'tcp://127.0.0.1:*', maxQueuedRequests: -1 })).rejects.toThrow(
      InvalidOptionError,
    )
    expect(() =>
      startWorker({ broker: 'tcp://127.0.0.1:1', service: 's', handler: (b) => b, heartbeatLiveness: 0 }),
    ).toThrow(/heartbeatLiveness/)
    expect(() => mdpClient({ broker: 'tcp://127.0.0.1:1', maxInFlight: 0 })).toThrow(/maxInFlight/)
  })
})

describe('a MajorDomo broker on a taken endpoint', () => {
  it('fails to start, and the broker already there goes on', async () => {
    const first = await startBroker({ endpoint: 'tcp://127.0.0.1:*' })
    try {
      await expect(startBroker({ endpoint: first.endpoint })).rejects.toThrow()
      expect(first.stats().workers).toBe(0)
    } finally {
      await first.close()
    }
  })
})
