/**
 * The components of the shop's order pipeline that run in another process: `price` looks the
 * order up in the catalogue there. A child process loads this module and finds it by name.
 */
import { exposeComponents, StatusError, Transform } from 'troupe/flow'
import { CATALOGUE, type Order } from './actors.ts'

/** An order with its price. */
export interface PricedOrder extends Order {
  readonly cents: number
  readonly pricedBy: number
}

export const parts = exposeComponents(import.meta.url, {
  price: Transform((order: Order): PricedOrder => {
    const each = CATALOGUE[order.item]
    if (each === undefined) throw new StatusError(404, `the shop sells no ${order.item}`)
    return { ...order, cents: each * order.quantity, pricedBy: process.pid }
  }),
})
