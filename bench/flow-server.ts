/**
 * The server of `flow-http`, in a process of its own so that autocannon (in `flow-worker.ts`)
 * does not share its event loop: `floor` is a plain fastify handler doing the 4 stages inline,
 * `troupe` an `Http` component whose events go through 4 `Transform`s and back. Listens on a
 * free port of 127.0.0.1, sends it over IPC, and exits when its IPC channel closes.
 */
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { start } from 'troupe'
import { director, Http, Transform } from 'troupe/flow'
import { type FlowServerReady, stages, throughStages, type Work } from './flow.ts'

async function floor(): Promise<number> {
  const app = Fastify()
  app.post('/', async (request) => throughStages(request.body as Work))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

async function troupe(): Promise<number> {
  const system = await start({ messages: 'freeze', logLevel: 'silent' })
  const flow = director(system)
  const http = Http({ port: 0 })
  flow.add('http', http)
  let last = 'http'
  stages.forEach((stage, i) => {
    flow.add(`stage${i}`, Transform(stage))
    flow.connect(last, `stage${i}`)
    last = `stage${i}`
  })
  flow.connect(last, 'http')
  await flow.start()
  return http.address()!.port
}

process.on('disconnect', () => process.exit(0))
const port = await (process.argv[2] === 'troupe' ? troupe() : floor())
process.send?.({ port } satisfies FlowServerReady)
