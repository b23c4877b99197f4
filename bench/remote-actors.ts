/**
 * The Troupe actors of the remote figures. Both nodes load this module and expose the same
 * definitions, so that the measuring node can spawn them on the far one (`spawn(def, { on })`).
 */
import { defineActor, type Ref } from 'troupe'

export type PongMsg = { type: 'ping'; n: number; from: Ref<PingMsg> } | { type: 'hello' }
export type PingMsg = { type: 'pong'; n: number }
type PingProps = { ponger: Ref<PongMsg>; roundTrips: number; done: (n: number) => void }

/** On the far node: answers every ping with a pong to the ref the ping carries. */
export const Ponger = defineActor<PongMsg>({
  receive(state, msg, ctx) {
    if (msg.type === 'hello') ctx.reply(0)
    else msg.from.tell({ type: 'pong', n: msg.n })
    return state
  },
})

/** On the measuring node: sends the next ping until `roundTrips` pongs have come back. */
export const Pinger = defineActor<PingMsg, PingProps, PingProps>({
  init: (props) => props,
  receive(state, msg, ctx) {
    if (msg.n === state.roundTrips) state.done(msg.n)
    else state.ponger.tell({ type: 'ping', n: msg.n + 1, from: ctx.self })
    return state
  },
})

export type SinkMsg = { type: 'n'; i: number } | { type: 'count' }
type SinkState = { handled: number; inOrder: boolean }

/** On the far node: counts tells, checking their order; `count` is asked once at the end. */
export const Sink = defineActor<SinkMsg, SinkState>({
  init: () => ({ handled: 0, inOrder: true }),
  receive(state, msg, ctx) {
    if (msg.type === 'count') ctx.reply(state.inOrder ? state.handled : -1)
    else if (msg.i === state.handled) state.handled++
    else state.inOrder = false
    return state
  },
})

export type EchoMsg = { type: 'ask'; i: number }

/** Replies `i + 1`; on the far node for the remote asks, on the measuring node for the local ones. */
export const Echo = defineActor<EchoMsg>({
  receive(state, msg, ctx) {
    ctx.reply(msg.i + 1)
    return state
  },
})

/** Both nodes expose these, so that the measuring node can spawn them on the far one. */
export const exposed = {
  'bench-ponger': Ponger,
  'bench-sink': Sink,
  'bench-echo': Echo,
}
