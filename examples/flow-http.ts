/**
 * Full-circle HTTP through a graph, as compysition's: a request becomes an event that goes
 * Http -> BasicAuth -> Transform -> executor -> Transform -> back to Http, which answers it;
 * a request without good credentials goes from BasicAuth's error route back to Http as a 401.
 *
 * Run: npx tsx --conditions=source examples/flow-http.ts
 */
import { start } from 'troupe'
import { BasicAuth, director, Http, Transform } from 'troupe/flow'

const system = await start({ logLevel: 'warn' })
const flow = director(system)
const http = Http({ port: 0, timeoutMs: 5_000 })
const server = flow.add('http', http)
const auth = flow.add('auth', BasicAuth({ users: { ann: 'secret' } }))
const parse = flow.add(
  'parse',
  Transform((body: { n?: unknown }) => Number(body?.n)),
)
const executor = flow.add(
  'executor',
  Transform(async (n: number) => n * n),
)
const format = flow.add(
  'format',
  Transform((n: number, event) => ({ squared: n, user: event.meta.user })),
)
flow.connect(server, auth).connect(auth, parse).connect(parse, executor).connect(executor, format)
flow.connect(format, server)
flow.connectError(auth, server)
await flow.start()

const { host, port } = http.address()!
const url = `http://${host}:${port}/square`
const post = (authorization?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ n: 12 }),
  })
const good = await post(`Basic ${Buffer.from('ann:secret').toString('base64')}`)
console.log(`with credentials: ${good.status} ${await good.text()}`)
const bad = await post()
console.log(`without: ${bad.status} ${await bad.text()} (${bad.headers.get('www-authenticate')})`)
await flow.stop()
await system.shutdown()
