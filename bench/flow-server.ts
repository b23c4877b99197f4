/**
 * The server of `flow-http` and `gateway-ask`, in a process of its own so that autocannon (in
 * `flow-worker.ts`) does not share its event loop. flow-http: `floor` is a plain fastify handler
 * doing the 4 stages inline, `troupe` an `Http` component whose events go through 4 `Transform`s
 * and back. gateway-ask: an actor does the 4 stages for each ask; `floor` is a plain fastify route
 * that asks it, `troupe` the gateway (`POST /actors/stages?ask=1` with its bearer token). Listens
 * on a free port of 127.0.0.1, sends it over IPC, and exits when its IPC channel closes.
 */
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { defineActor, start } from 'troupe'
import { director, Http, Transform } from 'troupe/flow'
import { startGateway } from 'troupe/gateway'
import { type FlowServerReady, stages, throughStages, type Work } from './flow.ts'

const json = { 'content-type': 'application/json' }

/** Does the 4 stages for each message it is asked. */
const Stages = defineActor<Work, undefined>({
  receive(_state, work, ctx) {
    ctx.reply(throughStages(work))
  },
})

async function askFloor(): Promise<FlowServerReady> {
  const system = await start({ messages: 'freeze', logLevel: 'silent' })
  const stagesRef = system.spawn(Stages, { name: 'stages' })
  const app = Fastify()
  app.post('/', async (request) => stagesRef.ask(request.body as Work))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as AddressInfo).port, path: '/', headers: json }
}

async function askGateway(): Promise<FlowServerReady> {
  const system = await start({ messages: 'freeze', logLevel: 'silent' })
  system.spawn(Stages, { name: 'stages' })
  const gateway = await startGateway(system, { port: 0, announce: () => {} })
  return {
    port: gateway.port,
    path: '/actors/stages?ask=1',
    headers: { ...json, authorization: `Bearer ${gateway.token}` },
  }
}

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
const [subject, workload] = process.argv.slice(2)
const ready: FlowServerReady =
  workload === 'gateway-ask'
    ? await (subject === 'troupe' ? askGateway() : askFloor())
    : { port: await (subject === 'troupe' ? troupe() : floor()), path: '/', headers: json }
process.send?.(ready satisfies FlowServerReady)
