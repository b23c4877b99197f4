/**
 * The subject: the workloads on Troupe's public API, as a user would write them. Messages are
 * not frozen or cloned (`messages: 'none'`), which is the production default.
 */
import { defineActor, type Ref, start } from 'troupe'
import { assertSkynetSize, type Subject, type Trial } from './workloads.ts'

type System = Awaited<ReturnType<typeof start>>

const askTimeout = { timeout: 600_000 }

function startSystem(): Promise<System> {
  return start({ messages: 'none', logLevel: 'silent' })
}

function completion(): { promise: Promise<number>; resolve: (value: number) => void } {
  let resolve: (value: number) => void = () => {}
  const promise = new Promise<number>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

function trial(system: System, run: () => Promise<number>): Trial {
  return {
    run,
    close: () => system.shutdown(),
  }
}

// skynet

type SkynetMsg = { type: 'start' } | { type: 'sum'; value: number }
const startMsg: SkynetMsg = { type: 'start' }
type SkynetProps = { num: number; size: number; parent: Ref<SkynetMsg> | ((sum: number) => void) }
type SkynetState = SkynetProps & { pending: number; sum: number }

function report(state: SkynetState, sum: number): void {
  if (typeof state.parent === 'function') state.parent(sum)
  else state.parent.tell({ type: 'sum', value: sum })
}

const Skynet = defineActor<SkynetMsg, SkynetState, SkynetProps>({
  init: (props) => ({ num: props.num, size: props.size, parent: props.parent, pending: 10, sum: 0 }),
  receive(state, msg, ctx) {
    if (msg.type === 'start') {
      if (state.size === 1) {
        report(state, state.num)
        ctx.stop()
        return state
      }
      const size = state.size / 10
      for (let i = 0; i < 10; i++) {
        ctx.spawn(Skynet, { props: { num: state.num + i * size, size, parent: ctx.self } }).tell(startMsg)
      }
      return state
    }
    state.sum += msg.value
    if (--state.pending === 0) {
      report(state, state.sum)
      ctx.stop()
    }
    return state
  },
})

// ring

type RingMsg = { type: 'next'; next: Ref<RingMsg> } | { type: 'token'; hops: number }
type RingProps = { hops: number; done: (hops: number) => void }
type RingState = RingProps & { next: Ref<RingMsg> | undefined }

const Ring = defineActor<RingMsg, RingState, RingProps>({
  init: (props) => ({ hops: props.hops, done: props.done, next: undefined }),
  receive(state, msg) {
    if (msg.type === 'next') state.next = msg.next
    else if (msg.hops === state.hops) state.done(msg.hops)
    else state.next!.tell({ type: 'token', hops: msg.hops + 1 })
    return state
  },
})

// ping-pong

type PingMsg = { type: 'pong'; n: number }
type PongMsg = { type: 'ping'; n: number; from: Ref<PingMsg> }
type PingProps = { ponger: Ref<PongMsg>; roundTrips: number; done: (n: number) => void }

const Ponger = defineActor<PongMsg>({
  receive(state, msg) {
    msg.from.tell({ type: 'pong', n: msg.n })
    return state
  },
})

const Pinger = defineActor<PingMsg, PingProps, PingProps>({
  init: (props) => props,
  receive(state, msg, ctx) {
    if (msg.n === state.roundTrips) state.done(msg.n)
    else state.ponger.tell({ type: 'ping', n: msg.n + 1, from: ctx.self })
    return state
  },
})

// burst

/** A burst message is its sequence number: the figure measures the mailbox, not 1M live allocations. */
type BurstMsg = number
type BurstProps = { total: number; done: (handled: number) => void }
type BurstState = BurstProps & { handled: number }

const Burst = defineActor<BurstMsg, BurstState, BurstProps>({
  init: (props) => ({ total: props.total, done: props.done, handled: 0 }),
  receive(state, msg) {
    if (msg !== state.handled) state.done(-1)
    else if (++state.handled === state.total) state.done(state.handled)
    return state
  },
})

// ask

type AskMsg = { type: 'ask'; i: number }

const Echo = defineActor<AskMsg>({
  receive(state, msg, ctx) {
    ctx.reply(msg.i + 1)
    return state
  },
})

// spawn

type IdleMsg = { type: 'ping' }

const Idle = defineActor<IdleMsg, { seen: number }>({
  init: () => ({ seen: 0 }),
  receive(state, _msg, ctx) {
    ctx.reply(++state.seen)
    return state
  },
})

export const troupe: Subject = {
  async skynet(leaves): Promise<Trial> {
    assertSkynetSize(leaves)
    const system = await startSystem()
    return trial(system, () => {
      const { promise, resolve } = completion()
      system.spawn(Skynet, { props: { num: 0, size: leaves, parent: resolve } }).tell(startMsg)
      return promise
    })
  },

  async ring(actors, hops): Promise<Trial> {
    const system = await startSystem()
    const { promise, resolve } = completion()
    const ring: Ref<RingMsg>[] = []
    for (let i = 0; i < actors; i++) ring.push(system.spawn(Ring, { props: { hops, done: resolve } }))
    for (let i = 0; i < actors; i++) ring[i]!.tell({ type: 'next', next: ring[(i + 1) % actors]! })
    return trial(system, () => {
      ring[0]!.tell({ type: 'token', hops: 0 })
      return promise
    })
  },

  async pingPong(roundTrips): Promise<Trial> {
    const system = await startSystem()
    const { promise, resolve } = completion()
    const ponger = system.spawn(Ponger)
    const pinger = system.spawn(Pinger, { props: { ponger, roundTrips, done: resolve } })
    return trial(system, () => {
      ponger.tell({ type: 'ping', n: 1, from: pinger })
      return promise
    })
  },

  async burst(messages): Promise<Trial> {
    const system = await startSystem()
    const { promise, resolve } = completion()
    const actor = system.spawn(Burst, { props: { total: messages, done: resolve } })
    return trial(system, () => {
      for (let i = 0; i < messages; i++) actor.tell(i)
      return promise
    })
  },

  async ask(requests): Promise<Trial> {
    const system = await startSystem()
    const echo = system.spawn(Echo)
    return trial(system, async () => {
      let sum = 0
      for (let i = 0; i < requests; i++) sum += await echo.ask<number>({ type: 'ask', i }, askTimeout)
      return sum
    })
  },

  async spawn(actors): Promise<Trial> {
    const system = await startSystem()
    let keep = new Array<Ref<IdleMsg> | null>(actors).fill(null)
    return {
      async run() {
        for (let i = 0; i < actors; i++) keep[i] = system.spawn(Idle)
        const seen = await keep[actors - 1]!.ask<number>({ type: 'ping' }, askTimeout)
        return seen === 1 ? new Set(keep).size : -1
      },
      async close() {
        keep = []
        await system.shutdown()
      },
    }
  },
}
