// Frames that are not MDP/0.1, from a raw ZeroMQ DEALER: the broker drops them with a
// rate-limited warning and goes on serving everyone else.

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Dealer } from 'zeromq'
import {
  type Broker,
  type MdpClient,
  mdpClient,
  startBroker,
  startWorker,
} from '../../../src/flow/majordomo/index.ts'
import { Cleanup, captureLogger, idleWorkers, until } from './majordomo-support.ts'

describe('MajorDomo broker and malformed frames', () => {
  let cleanup: Cleanup
  let broker: Broker
  let client: MdpClient
  let raw: Dealer
  const logger = captureLogger()

  beforeEach(async () => {
    logger.warnings.length = 0
    cleanup = new Cleanup()
    broker = cleanup.add(await startBroker({ endpoint: 'tcp://127.0.0.1:*', logger }), (b) => b.close())
    cleanup.add(
      startWorker({ broker: broker.endpoint, service: 'echo', handler: (body) => body, logger }),
      (w) => w.close(),
    )
    client = cleanup.add(mdpClient({ broker: broker.endpoint }), (c) => c.close())
    raw = cleanup.add(new Dealer({ linger: 0 }), (s) => s.close())
    raw.connect(broker.endpoint)
    await idleWorkers(broker, 'echo', 1)
  })
  afterEach(() => cleanup.run())

  const garbage: [string, (string | Buffer)[]][] = [
    ['a wrong protocol header', ['', 'MDPC02', 'echo', 'x']],
    ['no empty delimiter', ['MDPC01', 'echo', 'x']],
    ['missing frames', ['']],
    ['a client request without a service', ['', 'MDPC01']],
    ['an unknown worker command', ['', 'MDPW01', Buffer.from([0x09])]],
    ['a worker command of two bytes', ['', 'MDPW01', Buffer.from([0x01, 0x01])]],
    ['READY without a service', ['', 'MDPW01', Buffer.from([0x01])]],
    ['a tagged client request without a service', ['tag', '', 'MDPC01']],
    ['a tagged worker command (only client requests take a tag)', ['tag', '', 'MDPW01', Buffer.from([0x04])]],
  ]

  it.each(garbage)('drops %s with a warning and serves the next request', async (_, frames) => {
    const dropped = broker.stats().dropped
    await raw.send(frames)
    await until(() => broker.stats().dropped === dropped + 1)
    expect(logger.warnings.at(-1)?.msg).toMatch(/dropped a frame set/)
    expect((await client.request('echo', 'still here')).map(String)).toEqual(['still here'])
  })

  it('answers a worker command from an unknown worker with DISCONNECT', async () => {
    await raw.send(['', 'MDPW01', Buffer.from([0x04])])
    const frames = await raw.receive()
    expect(frames.map((f) => f.toString('hex'))).toEqual(['', Buffer.from('MDPW01').toString('hex'), '05'])
  })

  it('warns once per second however much garbage comes, and counts all of it', async () => {
    const dropped = broker.stats().dropped
    const warnings = logger.warnings.length
    for (let n = 0; n < 200; n++) await raw.send(['', 'NOT-MDP', String(n)])
    await until(() => broker.stats().dropped === dropped + 200)
    expect(logger.warnings.length - warnings).toBeLessThanOrEqual(2)
    expect((await client.request('echo', 'after the flood')).map(String)).toEqual(['after the flood'])
  })
})
