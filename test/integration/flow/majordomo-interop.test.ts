// Interop with MDP/0.1 peers that are not Troupe's: a Python client and worker written from the
// spec (test/fixtures/mdp), over pyzmq.
import { spawn } from 'node:child_process'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Broker, mdpClient, startBroker, startWorker } from '../../../src/flow/majordomo/index.ts'
import {
  Cleanup,
  captureLogger,
  fixture,
  idleWorkers,
  linesOf,
  pythonWithZmq,
  stopChild,
} from './majordomo-support.ts'

const python = pythonWithZmq()
if (python === undefined)
  console.log('skipping the MDP interop tests: no Python interpreter here can import zmq')

describe.skipIf(python === undefined)('MajorDomo interop with a Python MDP/0.1 peer', () => {
  let cleanup: Cleanup
  let broker: Broker
  beforeEach(async () => {
    cleanup = new Cleanup()
    broker = cleanup.add(
      await startBroker({ endpoint: 'tcp://127.0.0.1:*', heartbeatIntervalMs: 200, logger: captureLogger() }),
      (b) => b.close(),
    )
  })
  afterEach(() => cleanup.run())

  /** Runs mdcli.py once; resolves with its exit code and what it printed. */
  const pythonRequest = (service: string, ...body: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = cleanup.add(
        spawn(python!, [fixture('mdcli.py'), broker.endpoint, service, '5000', ...body]),
        stopChild,
      )
      let out = ''
      let err = ''
      child.stdout.on('data', (chunk) => (out += chunk))
      child.stderr.on('data', (chunk) => (err += chunk))
      child.on('error', reject)
      child.on('exit', (code) => resolve({ code, out, err }))
    })

  it('a Python client gets replies from a Troupe worker through the Troupe broker', async () => {
    cleanup.add(
      startWorker({
        broker: broker.endpoint,
        service: 'shout',
        handler: (body) => body.map((f) => Buffer.from(f.toString().toUpperCase())),
      }),
      (w) => w.close(),
    )
    await idleWorkers(broker, 'shout', 1)
    const reply = await pythonRequest('shout', 'hello', 'mdp')
    expect(reply, reply.err).toMatchObject({ code: 0 })
    expect(JSON.parse(reply.out)).toEqual(['HELLO', 'MDP'])
    const mmi = await pythonRequest('mmi.service', 'shout')
    expect(JSON.parse(mmi.out)).toEqual(['200'])
  })

  it('a Troupe client gets replies from a Python worker through the Troupe broker', async () => {
    const worker = cleanup.add(
      spawn(python!, [fixture('mdwrk.py'), broker.endpoint, 'py-echo', '200'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
      stopChild,
    )
    await linesOf(worker).waitFor(/^ready$/)
    const client = cleanup.add(mdpClient({ broker: broker.endpoint }), (c) => c.close())
    expect((await client.request('py-echo', [Buffer.from('a'), Buffer.from('b')])).map(String)).toEqual([
      'py:a',
      'py:b',
    ])
    const many = await Promise.all(Array.from({ length: 20 }, (_, n) => client.request('py-echo', String(n))))
    expect(many.map((r) => r[0]!.toString())).toEqual(Array.from({ length: 20 }, (_, n) => `py:${n}`))
    // A multiplexed client's tag stays with the broker: the Python worker sees a plain MDP request.
    const multiplexed = cleanup.add(mdpClient({ broker: broker.endpoint, multiplex: true }), (c) => c.close())
    const tagged = await Promise.all(
      Array.from({ length: 20 }, (_, n) => multiplexed.request('py-echo', String(n))),
    )
    expect(tagged.map((r) => r[0]!.toString())).toEqual(Array.from({ length: 20 }, (_, n) => `py:${n}`))
  })
})
