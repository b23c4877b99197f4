/**
 * The REST gateway: a system exposes a counter type, the gateway serves it over HTTP, and four
 * calls spawn a counter, ask it, read its snapshot and kill it, as curl would.
 *
 * Run: npx tsx --conditions=source examples/gateway.ts
 */
import { defineActor, start } from 'troupe'
import { startGateway } from 'troupe/gateway'

type CounterMsg = { type: 'add'; n: number } | { type: 'get' }

const Counter = defineActor<CounterMsg, number, number | undefined>({
  init: (from) => from ?? 0,
  receive(n, msg, ctx) {
    if (msg.type === 'get') ctx.reply(n)
    return msg.type === 'add' ? n + msg.n : n
  },
  snapshot: (n) => ({ count: n }),
})

const system = await start({ logLevel: 'warn' })
// Port 0 picks a free one; a token is generated, and `announce` is told the dashboard's URL.
const gateway = await startGateway(system, { port: 0, types: { counter: Counter }, announce: () => {} })
const headers = { authorization: `Bearer ${gateway.token}`, 'content-type': 'application/json' }
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  console.log(`${method} ${path}: ${response.status} ${await response.text()}`)
}

await call('PUT', '/actors/visits', { type: 'counter', args: 40 })
await call('POST', '/actors/visits', { type: 'add', n: 2 })
await call('POST', '/actors/visits?ask=1', { type: 'get' })
await call('GET', '/actors/visits')
await call('DELETE', '/actors/visits')
const anonymous = await fetch(`${gateway.url}/actors`)
console.log(`without the token: ${anonymous.status} ${anonymous.headers.get('www-authenticate')}`)
await gateway.close()
await system.shutdown()
