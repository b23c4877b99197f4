/**
 * The client and the echo workers of the MajorDomo figure, in one process apart from the broker
 * (forked by `majordomo-job.ts`; argv[2] is a `LoadSetup` as JSON). Says `{ ready }` once its
 * workers are started; then each `{ run: n }` sends n requests, `mdpInFlight` in flight, and
 * answers `{ ms }`; `{ stop }` closes everything and exits.
 *
 * troupe: `startWorker` echo workers and one `mdpClient`. floor: raw DEALER workers that echo
 * what the relay sends, and a pool of raw DEALERs with one request in flight each, the shape of
 * the MajorDomo client.
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
  const client: MdpClient = mdpClient({ broker: setup.clients, maxInFlight: setup.inFlight })
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
  const clients = Array.from({ length: setup.inFlight }, () => {
    const socket = new Dealer({ linger: 0 })
    socket.connect(setup.clients)
    return socket
  })
  return {
    async run(requests) {
      let next = 0
      await Promise.all(
        clients.map(async (socket) => {
          while (next++ < requests) {
            await socket.send(body)
            const reply = await socket.receive()
            if (reply.length !== 1 || !reply[0]!.equals(body[0]!)) throw new Error('wrong reply')
          }
        }),
      )
    },
    async close() {
      for (const socket of clients) socket.close()
      for (const { socket } of workers) socket.close()
      await Promise.all(workers.map((w) => w.echo))
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
