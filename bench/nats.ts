/**
 * The NATS figures, each beside its raw baseline measured in the same run on the same server:
 *
 *   nats-tells  remote tells from a node to an actor of another node, msg/s, against raw
 *               `publish` of payloads of the size of one tell's envelope (target >= 0.7x)
 *   nats-ask    sequential asks, round trips/s, against sequential raw `request` (target >= 0.7x)
 *
 * Both nodes and both raw clients run in this process, over one `nats-server` the bench starts and
 * stops itself (skipped, with the reason printed, when `nats-server` is missing).
 *
 *   npx tsx bench/nats.ts [--size tiny|full]
 */
import { parseArgs } from 'node:util'
import { connect } from '@nats-io/transport-node'
import { defineActor, start } from 'troupe'
import { natsServerVersion, startNatsServer } from '../test/support/nats-server.ts'

const { values } = parseArgs({ options: { size: { type: 'string', default: 'full' } } })
const tiny = values.size === 'tiny'
const tells = tiny ? 1_000 : 500_000
const asks = tiny ? 100 : 10_000
/** About one tell's envelope ({ to, kind, message: { type: 'inc', by: 1 } }) in msgpack. */
const PAYLOAD_BYTES = 48

function line(name: string, value: number, unit: string, baseline: number, target: number): string {
  const ratio = value / baseline
  const met = ratio >= target ? 'met' : 'NOT met'
  return `${name.padEnd(12)} ${Math.round(value).toLocaleString('en')} ${unit}  ${ratio.toFixed(2)}x raw (${Math.round(baseline).toLocaleString('en')} ${unit}; target >= ${target}x ${met})`
}

async function rawPublish(url: string): Promise<number> {
  const [pub, sub] = await Promise.all([connect({ servers: url }), connect({ servers: url })])
  try {
    const payload = new Uint8Array(PAYLOAD_BYTES)
    let received = 0
    const done = new Promise<void>((resolve) =>
      sub.subscribe('bench.raw', {
        callback: () => {
          if (++received === tells) resolve()
        },
      }),
    )
    await sub.flush()
    const began = performance.now()
    for (let i = 0; i < tells; i++) pub.publish('bench.raw', payload)
    await done
    return tells / ((performance.now() - began) / 1000)
  } finally {
    await Promise.all([pub.close(), sub.close()])
  }
}

async function rawRequest(url: string): Promise<number> {
  const [client, server] = await Promise.all([connect({ servers: url }), connect({ servers: url })])
  try {
    server.subscribe('bench.req', {
      callback: (_e, msg) => {
        msg.respond(msg.data)
      },
    })
    await server.flush()
    const payload = new Uint8Array(PAYLOAD_BYTES)
    const began = performance.now()
    for (let i = 0; i < asks; i++) await client.request('bench.req', payload, { timeout: 5_000 })
    return asks / ((performance.now() - began) / 1000)
  } finally {
    await Promise.all([client.close(), server.close()])
  }
}

type Msg = { type: 'inc'; by: number } | { type: 'get' }
const Counter = defineActor<Msg, { n: number; done?: () => void }>({
  init: () => ({ n: 0 }),
  receive(state, msg, ctx) {
    if (msg.type === 'inc') {
      state.n += msg.by
      return state
    }
    ctx.reply(state.n)
    return state
  },
})

async function troupe(url: string): Promise<{ tells: number; asks: number }> {
  const options = {
    nats: url,
    cookie: 'bench-cookie-0123456789',
    logLevel: 'silent' as const,
    messages: 'none' as const,
  }
  const a = await start({ ...options, node: 'bench-a' })
  const b = await start({ ...options, node: 'bench-b' })
  try {
    a.expose({ counter: Counter })
    b.expose({ counter: Counter })
    const counter = a.spawn(Counter, { on: b.node })
    await counter.ask({ type: 'get' })
    let began = performance.now()
    for (let i = 0; i < tells; i++) counter.tell({ type: 'inc', by: 1 })
    const total = await counter.ask({ type: 'get' }, { timeout: 120_000 })
    if (total !== tells) throw new Error(`the counter got ${total} of ${tells} tells`)
    const tellRate = tells / ((performance.now() - began) / 1000)
    began = performance.now()
    for (let i = 0; i < asks; i++) await counter.ask({ type: 'get' })
    return { tells: tellRate, asks: asks / ((performance.now() - began) / 1000) }
  } finally {
    await Promise.all([a.shutdown(), b.shutdown()])
  }
}

if (natsServerVersion() === undefined) {
  console.log('nats-tells, nats-ask: skipped (nats-server is not installed)')
} else {
  const server = await startNatsServer({ jetstream: false })
  try {
    const publishRate = await rawPublish(server.url)
    const requestRate = await rawRequest(server.url)
    const measured = await troupe(server.url)
    console.log(line('nats-tells', measured.tells, 'msg/s', publishRate, 0.7))
    console.log(line('nats-ask', measured.asks, 'asks/s', requestRate, 0.7))
  } finally {
    await server.stop()
  }
}
