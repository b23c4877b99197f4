/**
 * The shop's order pipeline, a data-flow graph: orders come from simulated shoppers (a Ticker)
 * and from HTTP (`POST /orders`); each is checked, priced in another process, reserved with the
 * inventory (an actor in a third process, found by name) and charged by the payments actor,
 * which crashes now and then and is restarted. Orders from HTTP get their answer back as the
 * response; every refusal, whatever stage it came from, takes the error route.
 */
import type { ActorSystem, Ref } from 'troupe'
import {
  type Director,
  defineComponent,
  director,
  Http,
  type HttpComponent,
  Route,
  StatusError,
  Ticker,
  Transform,
} from 'troupe/flow'
import type { InventoryMsg, Order, PaymentsMsg, Reservation } from './actors.ts'
import { CATALOGUE } from './actors.ts'
import { type PricedOrder, parts } from './parts.ts'

/** What the pipeline has done so far. */
export interface Tally {
  shipped: number
  refused: number
  readonly reasons: Map<string, number>
  cents: number
}

/** The pipeline's parts the shop's main program needs. */
export interface Pipeline {
  readonly flow: Director
  readonly http: HttpComponent
  readonly tally: Tally
}

const items = Object.keys(CATALOGUE)
const shoppers = ['ada', 'grace', 'edsger', 'barbara', 'ken']

/** The order a simulated shopper places, made from its number. */
function simulatedOrder(n: number): Order {
  return {
    id: n,
    item: items[(n * 7) % items.length]!,
    quantity: 1 + ((n * 5) % 4),
    customer: shoppers[n % shoppers.length]!,
  }
}

/** Checks an order that came from outside: the fields it must have, with sane values. */
function checked(data: unknown, meta: Readonly<Record<string, unknown>>, id: number): Order {
  if (meta.method !== 'POST' || meta.path !== '/orders')
    throw new StatusError(404, 'the shop takes orders at POST /orders')
  const order = data as Partial<Order> | null
  if (typeof order?.item !== 'string' || !Number.isInteger(order.quantity) || (order.quantity ?? 0) < 1)
    throw new StatusError(
      400,
      'an order is { "item": string, "quantity": integer >= 1, "customer"?: string }',
    )
  return {
    id,
    item: order.item,
    quantity: order.quantity!,
    customer: typeof order.customer === 'string' ? order.customer : 'web',
  }
}

/** Why an order was refused, in a few words, for the tally. */
function reasonOf(error: { message: string; name?: string } | undefined): string {
  const message = error?.message ?? 'unknown'
  if (message.startsWith('out of ')) return 'out of stock'
  if (message.includes('card network')) return 'payment crashed'
  if (message.includes('sells no')) return 'not sold here'
  return error?.name ?? 'error'
}

const fromHttp = (event: { meta: Readonly<Record<string, unknown>> }) => typeof event.meta.method === 'string'

/** Builds the pipeline on `system`, with the inventory and payments actors it talks to. */
export function orderPipeline(
  system: ActorSystem,
  actors: { inventory: Ref<InventoryMsg>; payments: Ref<PaymentsMsg> },
  options: { httpPort: number; orderEveryMs: number },
): Pipeline {
  const tally: Tally = { shipped: 0, refused: 0, reasons: new Map(), cents: 0 }
  const flow = director(system)
  let webOrders = 100_000
  const http = Http({ port: options.httpPort, timeoutMs: 5_000 })
  flow.add('http', http)
  flow.add('shoppers', Ticker({ intervalMs: options.orderEveryMs, data: simulatedOrder }))
  flow.add(
    'check',
    Transform((data: unknown, event) =>
      fromHttp(event) ? checked(data, event.meta, ++webOrders) : (data as Order),
    ),
  )
  flow.add('price', parts.price, { in: 'process' })
  flow.add(
    'reserve',
    Transform(async (order: PricedOrder) => {
      const answer = await actors.inventory.ask<Reservation>(
        { type: 'reserve', item: order.item, quantity: order.quantity },
        { timeout: 2_000 },
      )
      if ('refused' in answer) throw new StatusError(409, answer.refused)
      return { ...order, left: answer.left }
    }),
  )
  flow.add(
    'charge',
    Transform(async (order: PricedOrder) => {
      const receipt = await actors.payments.ask<{ receipt: string }>(
        { type: 'charge', order, cents: order.cents },
        { timeout: 2_000 },
      )
      return { ...order, receipt: receipt.receipt }
    }),
  )
  const shipped = flow.add('shipped', Route({ web: fromHttp }))
  const refused = flow.add('refused', Route({ web: fromHttp }))
  flow.add(
    'count-shipped',
    defineComponent({
      type: 'Tally',
      receive(event) {
        tally.shipped++
        tally.cents += (event.data as PricedOrder).cents
      },
    }),
  )
  flow.add(
    'count-refused',
    defineComponent({
      type: 'Tally',
      receive(event) {
        tally.refused++
        const reason = reasonOf(event.error)
        tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1)
      },
    }),
  )
  flow.connect('http', 'check').connect('shoppers', 'check')
  flow
    .connect('check', 'price')
    .connect('price', 'reserve')
    .connect('reserve', 'charge')
    .connect('charge', 'shipped')
  for (const stage of ['check', 'price', 'reserve', 'charge']) flow.connectError(stage, 'refused')
  flow.connect(shipped.out('web'), ['http', 'count-shipped']).connect('shipped', 'count-shipped')
  flow.connect(refused.out('web'), ['http', 'count-refused']).connect('refused', 'count-refused')
  return { flow, http, tally }
}
