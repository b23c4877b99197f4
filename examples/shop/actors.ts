/**
 * The shop's actors. `Inventory` keeps the stock and runs in a child process of its own (a child
 * loads this module to find it); `Payments` charges orders on the main node and, like a card
 * network on a bad day, crashes now and then: its supervisor restarts it with fresh state, and
 * the order that crashed it is refused with the reason.
 */
import { defineActor, expose } from 'troupe'

/** What an order asks for. */
export interface Order {
  readonly id: number
  readonly item: string
  readonly quantity: number
  readonly customer: string
}

/** The items the shop sells, with their prices in cents. */
export const CATALOGUE: Readonly<Record<string, number>> = { apple: 40, pear: 55, plum: 30, fig: 90 }

export type InventoryMsg =
  | { type: 'reserve'; item: string; quantity: number }
  | { type: 'restock'; item: string; quantity: number }
  | { type: 'stock' }

type Stock = Record<string, number>

const restockAt = 3
const restockBy = 25

/** The stock of every item; a reservation past the stock is refused, and low stock is reordered. */
export const Inventory = defineActor<InventoryMsg, { stock: Stock; reserved: number }>({
  init: () => ({ stock: Object.fromEntries(Object.keys(CATALOGUE).map((item) => [item, 20])), reserved: 0 }),
  receive(state, msg, ctx) {
    switch (msg.type) {
      case 'stock':
        ctx.reply({ ...state.stock })
        return state
      case 'restock':
        state.stock[msg.item] = (state.stock[msg.item] ?? 0) + msg.quantity
        return state
      case 'reserve': {
        const left = state.stock[msg.item] ?? 0
        if (left < msg.quantity) {
          // The supplier delivers later; this order is refused now, and the stock is kept.
          ctx.self.tell({ type: 'restock', item: msg.item, quantity: restockBy })
          ctx.reply({ refused: `out of ${msg.item}: ${left} left, ${msg.quantity} wanted (restocking)` })
          return state
        }
        state.stock[msg.item] = left - msg.quantity
        if (state.stock[msg.item]! <= restockAt)
          ctx.self.tell({ type: 'restock', item: msg.item, quantity: restockBy })
        ctx.reply({ left: state.stock[msg.item] })
        return { ...state, reserved: state.reserved + msg.quantity }
      }
    }
  },
  snapshot: (state) => ({ stock: state.stock, reserved: state.reserved }),
})

/** What the inventory answers a reservation. */
export type Reservation = { readonly left: number } | { readonly refused: string }

export type PaymentsMsg = { type: 'charge'; order: Order; cents: number }

/** Charges orders; every ninth order trips the card network and crashes the actor. */
export const Payments = defineActor<PaymentsMsg, { charged: number; cents: number }>({
  init: () => ({ charged: 0, cents: 0 }),
  receive(state, msg, ctx) {
    if (msg.order.id % 9 === 0)
      throw new Error(`the card network dropped the charge of order ${msg.order.id}`)
    ctx.reply({ receipt: `r-${msg.order.id}`, cents: msg.cents })
    return { charged: state.charged + 1, cents: state.cents + msg.cents }
  },
  // Since its last restart: a crash starts it again from nothing.
  snapshot: (state) => state,
})

export type BasketMsg =
  | { type: 'add'; item: string; quantity: number }
  | { type: 'remove'; item: string }
  | { type: 'total' }

/** A customer's basket, spawned over the gateway (`PUT /actors/:name` with type `basket`). */
export const Basket = defineActor<BasketMsg, Record<string, number>>({
  init: () => ({}),
  receive(items, msg, ctx) {
    switch (msg.type) {
      case 'add':
        if (CATALOGUE[msg.item] === undefined) throw new Error(`the shop sells no ${msg.item}`)
        return { ...items, [msg.item]: (items[msg.item] ?? 0) + msg.quantity }
      case 'remove': {
        const { [msg.item]: _gone, ...rest } = items
        return rest
      }
      case 'total':
        ctx.reply(Object.entries(items).reduce((cents, [item, n]) => cents + (CATALOGUE[item] ?? 0) * n, 0))
        return items
    }
  },
  snapshot: (items) => ({ items }),
})

expose(import.meta.url, { Inventory })
