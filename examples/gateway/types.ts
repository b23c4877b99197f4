/**
 * The actor types `troupe gateway --load examples/gateway/types.ts` may spawn: a counter, with a
 * snapshot for `GET /actors/:name`.
 */
import { defineActor } from 'troupe'
import { exposeTypes } from 'troupe/gateway'

type CounterMsg = { type: 'add'; n: number } | { type: 'get' }

export const Counter = defineActor<CounterMsg, number, number | undefined>({
  init: (from) => from ?? 0,
  receive(n, msg, ctx) {
    if (msg.type === 'get') ctx.reply(n)
    return msg.type === 'add' ? n + msg.n : n
  },
  snapshot: (n) => ({ count: n }),
})

export const types = exposeTypes(import.meta.url, {
  counter: {
    behavior: Counter,
    checkArgs: (args) =>
      args === undefined || Number.isInteger(args) ? undefined : 'expected an integer to start from',
  },
})
