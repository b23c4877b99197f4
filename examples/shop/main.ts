/**
 * Troupe's demo: a small shop over several processes. Orders from simulated shoppers and from
 * HTTP go through a data-flow graph: checked here, priced in a child process, reserved with the
 * inventory (an actor in another child process, found by name) and charged by a payments actor
 * that crashes now and then and is restarted by its supervisor. Every few seconds it prints what
 * the shop did.
 *
 * The REST gateway serves its actors and the live dashboard: it prints the dashboard's URL with
 * a token made for this run, and the curl commands that spawn, tell, ask, read and kill a basket.
 *
 * Run: npm start                      (runs until Ctrl-C)
 *      npm start -- --seconds 10      (closes the shop after 10 s)
 *      npm start -- --nats nats://127.0.0.1:4222   (the same over a NATS server)
 *      npm start -- --http-port 8081 --gateway-port 8080   (the ports; 0 picks free ones)
 */
import { parseArgs } from 'node:util'
import { type InspectionEvent, start } from 'troupe'
import { startGateway } from 'troupe/gateway'
import { Basket, Inventory, type InventoryMsg, Payments } from './actors.ts'
import { orderPipeline, type Tally } from './pipeline.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    nats: { type: 'string' },
    'http-port': { type: 'string', default: '8081' },
    'gateway-port': { type: 'string', default: '8080' },
    'order-every-ms': { type: 'string', default: '400' },
    'report-every-ms': { type: 'string', default: '3000' },
  },
})
const number = (option: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${option} takes a number >= 0, got '${text}'`)
    process.exit(2)
  }
  return value
}
const seconds = number('seconds', values.seconds)
const httpPort = number('http-port', values['http-port'])!
const gatewayPort = number('gateway-port', values['gateway-port'])!
const orderEveryMs = Math.max(10, number('order-every-ms', values['order-every-ms'])!)
const reportEveryMs = Math.max(100, number('report-every-ms', values['report-every-ms'])!)

const system = await start({
  // The reports say what failed; the log would repeat each restart with its stack.
  logLevel: 'error',
  ...(values.nats === undefined ? {} : { nats: values.nats.split(',') }),
  // A crash every few seconds is this shop's normal: allow a restart a second before giving up.
  supervision: { maxRestarts: 10, withinMs: 10_000 },
})
let restarts = 0
system.inspect((event: InspectionEvent) => {
  if (event.type === 'restarted') restarts++
})

const inventory = system.spawn(Inventory, {
  name: 'inventory',
  in: 'process',
  modules: [new URL('./actors.ts', import.meta.url).href],
})
const payments = system.spawn(Payments, { name: 'payments' })
const { flow, http, tally } = orderPipeline(system, { inventory, payments }, { httpPort, orderEveryMs })
await flow.start()
const { host, port } = http.address()!

// Baskets are the one type the gateway may spawn; every actor can be told, asked, read and killed.
const gateway = await startGateway(system, {
  port: gatewayPort,
  types: { basket: Basket },
  announce: () => {},
})
const auth = `-H 'authorization: Bearer ${gateway.token}'`
const json = `-H 'content-type: application/json'`
const where = values.nats === undefined ? 'one node' : `a node on NATS at ${values.nats}`
console.log(`The shop is open: ${where} and two child processes.`)
console.log(`  the dashboard: ${gateway.dashboardUrl}`)
console.log(
  `  order by hand: curl -X POST http://${host}:${port}/orders ${json} -d '{"item":"fig","quantity":2}'`,
)
console.log('  the actors over REST:')
for (const command of [
  `curl ${auth} ${gateway.url}/actors`,
  `curl ${auth} ${gateway.url}/actors/inventory`,
  `curl -X PUT ${auth} ${json} ${gateway.url}/actors/ann -d '{"type":"basket"}'`,
  `curl -X POST ${auth} ${json} ${gateway.url}/actors/ann -d '{"type":"add","item":"pear","quantity":3}'`,
  `curl -X POST ${auth} ${json} '${gateway.url}/actors/ann?ask=1' -d '{"type":"total"}'`,
  `curl -X DELETE ${auth} ${gateway.url}/actors/ann`,
])
  console.log(`    ${command}`)

const summary = (t: Tally): string => {
  const reasons = [...t.reasons].map(([reason, n]) => `${reason} ${n}`).join(', ')
  return `${t.shipped} orders shipped (${(t.cents / 100).toFixed(2)} €), ${t.refused} refused${reasons ? ` (${reasons})` : ''}`
}
const report = async (): Promise<void> => {
  const stock = await inventory
    .ask<Record<string, number>>({ type: 'stock' } satisfies InventoryMsg, { timeout: 2_000 })
    .catch(() => undefined)
  const left =
    stock === undefined
      ? 'unknown'
      : Object.entries(stock)
          .map(([item, n]) => `${item} ${n}`)
          .join(', ')
  console.log(`shop: ${summary(tally)}; payments restarted ${restarts} times; stock: ${left}`)
}
const reporter = setInterval(() => void report(), reportEveryMs)

let closing: Promise<void> | undefined
const close = (why: string): Promise<void> =>
  (closing ??= (async () => {
    clearInterval(reporter)
    console.log(`Closing the shop (${why}): waiting for the orders on their way...`)
    await gateway.close()
    await flow.stop()
    await report()
    await system.shutdown()
    console.log('The shop is closed.')
  })())
process.once('SIGINT', () => void close('Ctrl-C'))
process.once('SIGTERM', () => void close('SIGTERM'))
if (seconds !== undefined) setTimeout(() => void close(`after ${seconds} s`), seconds * 1000)
