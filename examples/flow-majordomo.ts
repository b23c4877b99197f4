/**
 * compysition's MajorDomo example: an HTTP request to /test_service goes through a graph's
 * MajordomoClient to a MajorDomo broker (ZeroMQ's MDP/0.1), which hands it to a worker in
 * another process (`flow/mdp-worker.ts`); its reply comes back as the HTTP response.
 *
 * Run: npx tsx --conditions=source examples/flow-majordomo.ts
 */
import { fork } from 'node:child_process'
import { start } from 'troupe'
import { director, Http, MajordomoBroker, MajordomoClient } from 'troupe/flow'
import { freePort } from 'troupe/testkit'

const broker = `tcp://127.0.0.1:${await freePort()}`
const system = await start({ logLevel: 'warn' })
const flow = director(system)
const http = Http({ timeoutMs: 5_000 })
flow.add('http', http)
flow.add('broker', MajordomoBroker({ endpoint: broker }))
// The service is named by the request's path: /test_service asks test_service.
flow.add('client', MajordomoClient({ broker, timeoutMs: 1_000 }))
flow.connect('http', 'client').connect('client', 'http').connectError('client', 'http')
await flow.start()

// The worker, in a process of its own (this program's loader and conditions go with it).
const worker = fork(new URL('./flow/mdp-worker.ts', import.meta.url), [broker], {
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
})
try {
  await new Promise<void>((resolve, reject) => {
    worker.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve()
    })
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)))
  })
  const { host, port } = http.address()!
  const post = (path: string) =>
    fetch(`http://${host}:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    })
  const served = await post('/test_service')
  const body = (await served.json()) as { echo: string; by: string }
  console.log(
    `/test_service: ${served.status}, echo ${body.echo}, served by ${body.by === `process ${worker.pid}` ? 'the worker process' : body.by}`,
  )
  const nobody = await post('/no_service')
  console.log(`/no_service: ${nobody.status} (no worker serves it: the request waits out its timeout)`)
} finally {
  worker.kill('SIGTERM')
  await flow.stop()
  await system.shutdown()
}
