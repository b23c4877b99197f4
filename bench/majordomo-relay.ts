/**
 * The floor of the MajorDomo figure: the least a ZeroMQ broker can do for the same traffic. A
 * ROUTER for clients and one for workers; a worker says hello with one frame, then echoes what
 * it gets. Requests pass on as `[worker, client, body…]` to an idle worker, one at a time per
 * worker as MDP's cycle allows (`credit` more to pipeline), and replies go back as
 * `[client, body…]`: no protocol frames, no heartbeats, no lookups, no service names.
 */
import { Router } from 'zeromq'
import { SendQueue } from '../src/flow/majordomo/send-queue.ts'
import { receiveEach } from '../src/flow/majordomo/support.ts'

export interface Relay {
  /** Where clients connect. */
  readonly clients: string
  /** Where workers connect. */
  readonly workers: string
  /** How many workers said hello. */
  workerCount(): number
  close(): Promise<void>
}

export async function startRelay(credit = 1): Promise<Relay> {
  const front = new Router({ linger: 0 })
  const back = new Router({ linger: 0 })
  await front.bind('tcp://127.0.0.1:*')
  await back.bind('tcp://127.0.0.1:*')
  const toClient = new SendQueue(front, (error) => console.error('relay: client send failed', error))
  const toWorker = new SendQueue(back, (error) => console.error('relay: worker send failed', error))
  const idle: Buffer[] = []
  const waiting: Buffer[][] = []
  let known = 0
  const dispatch = (): void => {
    while (idle.length > 0 && waiting.length > 0) {
      const request = waiting.shift()!
      request.unshift(idle.shift()!)
      toWorker.send(request)
    }
  }
  const fromClients = receiveEach(front, (frames) => {
    waiting.push(frames)
    dispatch()
    return true
  })
  const fromWorkers = receiveEach(back, (frames) => {
    const worker = frames.shift()!
    if (frames.length === 1) {
      known++
      for (let n = 0; n < credit; n++) idle.push(worker)
    } else {
      idle.push(worker)
      dispatch()
      toClient.send(frames)
    }
    return true
  })
  return {
    clients: front.lastEndpoint!,
    workers: back.lastEndpoint!,
    workerCount: () => known,
    async close() {
      front.close()
      back.close()
      await Promise.all([fromClients, fromWorkers])
    },
  }
}
