/**
 * The client and the echo workers of the MajorDomo figure, in one process apart from the broker
 * (forked by `majordomo-job.ts`; argv[2] is a `LoadSetup` as JSON). Says `{ ready }` once its
 * workers are started; then each `{ run: n }` sends n requests, `mdpInFlight` in flight, and
 * answers `{ ms }`; `{ stop }` closes everything and exits.
 *
 * troupe: `startWorker` echo workers and one `mdpClient` with `multiplex` (every request on one
 * DEALER, each tagged). floor: raw DEALER workers that echo what the relay sends, and one raw
 * DEALER with every request in flight, each after a tag frame of its own.
 */

import { type MdpClient, type MdpWorker, mdpClient, startWorker } from 'troupe/flow'
import { Dealer } from 'zeromq'
import { SendQueue } from '../src/flow/majordomo/send-queue.ts'
import { receiveEach } from '../src/flow/majordomo/support.ts'
import type { MajordomoSubjectName } from './majordomo-figures.ts'

export interface LoadSetup {
  subject: MajordomoSubjectName
  /** The broker's endpoint, or the relay's for clients. */
  clients: string
  /** The broker's endpoint, or the relay's for workers. */
  workers: string
  workerCount: number
  inFlight: number
}

export type LoadMessage = { ready: true } | { ms: number; cpuUs: number } | { error: string }
export type LoadCommand = { run: number } | { stop: true }

const body = [Buffer.from('0123456789abcdef')]

interface Load {
  /** Sends `requests` requests, `inFlight` at a time; resolves once every reply is in. */
  run(requests: number): Promise<void>
  close(): Promise<void>
}

function majordomoLoad(setup: LoadSetup): Load {
  const workers: MdpWorker[] = Array.from({ length: setup.workerCount }, () =>
    startWorker({ broker: setup.workers, service: 'echo', handler: (b) => b }),
  )
  const client: MdpClient = mdpClient({ broker: setup.clients, maxInFlight: setup.inFlight, multiplex: true })
  return {
    async run(requests) {
      let next = 0
      await Promise.all(
        Array.from({ length: setup.inFlight }, async () => {
          while (next++ < requests) {
            const reply = await client.request('echo', body)
            if (reply.length !== 1 || !reply[0]!.equals(body[0]!)) throw new Error('wrong reply')
          }
        }),
      )
    },
    async close() {
      await client.close()
      await Promise.all(workers.map((w) => w.close()))
    },
  }
}

function rawLoad(setup: LoadSetup): Load {
  const workers = Array.from({ length: setup.workerCount }, () => {
    const socket = new Dealer({ linger: 0 })
    socket.connect(setup.workers)
    const out = new SendQueue(socket, (error) => console.error('raw worker: send failed', error))
    out.send([Buffer.from('hello')])
    const echo = receiveEach(socket, (frames) => {
      out.send(frames)
      return true
    })
    return { socket, echo }
  })
  // One DEALER with every request in flight, told apart by a tag frame the relay passes back.
  const client = new Dealer({ linger: 0 })
  client.connect(setup.clients)
  const out = new SendQueue(client, (error) => console.error('raw client: send failed', error))
  const waiting = new Map<number, () => void>()
  const replies = receiveEach(client, (frames) => {
    if (frames.length !== 2 || !frames[1]!.equals(body[0]!)) throw new Error('wrong reply')
    const tag = frames[0]!.readUInt32BE(0)
    waiting.get(tag)?.()
    waiting.delete(tag)
    return true
  })
  let nextTag = 0
  const request = () =>
    new Promise<void>((resolve) => {
      const tag = Buffer.allocUnsafe(4)
      tag.writeUInt32BE(nextTag, 0)
      waiting.set(nextTag++, resolve)
      out.send([tag, body[0]!])
    })
  return {
    async run(requests) {
      let next = 0
      await Promise.all(
        Array.from({ length: setup.inFlight }, async () => {
          while (next++ < requests) await request()
        }),
      )
    },
    async close() {
      client.close()
      for (const { socket } of workers) socket.close()
      await Promise.all([replies, ...workers.map((w) => w.echo)])
    },
  }
}

const setup = JSON.parse(process.argv[2] ?? 'null') as LoadSetup | null
if (setup === null || !process.send) throw new Error('usage: forked by majordomo-job.ts with a LoadSetup')
const send = (message: LoadMessage) => process.send!(message)
const load = setup.subject === 'troupe' ? majordomoLoad(setup) : rawLoad(setup)
process.on('disconnect', () => process.exit(1))
process.on('message', (command: LoadCommand) => {
  if ('stop' in command) {
    void load.close().then(() => process.exit(0))
    return
  }
  const started = performance.now()
  const cpu = process.cpuUsage()
  load.run(command.run).then(
    () => {
      const ms = performance.now() - started
      const used = process.cpuUsage(cpu)
      send({ ms, cpuUs: used.user + used.system })
    },
    (error: unknown) =>
      send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  )
})
send({ ready: true })
