/**
 * The peer: the same workloads on nact 7.6 (https://nact.xyz), used as its README shows:
 * `start()`, `spawn` with a state function, `spawnStateless`, `dispatch`, `query`, `stop`.
 * nact runs every message in its own `setImmediate` and finds the target by walking its path
 * from the root on every `dispatch`; that is its cost, measured as it is.
 */
import nact, { type ActorContext, type ActorSystemRef, type Ref } from 'nact'
import { assertSkynetSize, type Subject, type Trial } from './workloads.ts'

const { dispatch, query, spawn, spawnStateless, start, stop } = nact

const queryTimeout = 600_000

function completion(): { promise: Promise<number>; resolve: (value: number) => void } {
  let resolve: (value: number) => void = () => {}
  const promise = new Promise<number>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

function trial(system: ActorSystemRef, run: () => Promise<number>): Trial {
  return {
    run,
    async close() {
      stop(system)
    },
  }
}

// skynet

type SkynetMsg = { type: 'start'; replyTo?: Ref<number> } | { type: 'sum'; value: number }
type SkynetState = {
  num: number
  size: number
  parent: Ref<SkynetMsg> | Ref<number>
  pending: number
  sum: number
}
const startMsg: SkynetMsg = { type: 'start' }

function skynetNode(
  root: boolean,
): (state: SkynetState, msg: SkynetMsg, ctx: ActorContext<SkynetMsg, Ref<unknown>>) => SkynetState {
  const report = (state: SkynetState, sum: number): void => {
    if (root) dispatch(state.parent as Ref<number>, sum)
    else dispatch(state.parent as Ref<SkynetMsg>, { type: 'sum', value: sum })
  }
  return (state, msg, ctx) => {
    if (msg.type === 'start') {
      if (msg.replyTo) state.parent = msg.replyTo
      if (state.size === 1) {
        report(state, state.num)
        stop(ctx.self)
        return state
      }
      const size = state.size / 10
      for (let i = 0; i < 10; i++) {
        const initialState = { num: state.num + i * size, size, parent: ctx.self, pending: 10, sum: 0 }
        dispatch(spawn(ctx.self, skynetChild, String(i), { initialState }), startMsg)
      }
      return state
    }
    state.sum += msg.value
    if (--state.pending === 0) {
      report(state, state.sum)
      stop(ctx.self)
    }
    return state
  }
}

const skynetChild = skynetNode(false)
const skynetRoot = skynetNode(true)

// ring

type RingMsg = { type: 'next'; next: Ref<RingMsg> } | { type: 'token'; hops: number }

// ping-pong

type PingMsg = { type: 'pong'; n: number }
type PongMsg = { type: 'ping'; n: number; from: Ref<PingMsg> }

// burst, ask, spawn

/** A burst message is its sequence number: the figure measures the mailbox, not 1M live allocations. */
type BurstMsg = number
type AskMsg = { type: 'ask'; i: number; reply: Ref<number> }
type IdleMsg = { type: 'ping'; reply: Ref<number> }

export const nactPeer: Subject = {
  async skynet(leaves): Promise<Trial> {
    assertSkynetSize(leaves)
    const system = start()
    return trial(system, () => {
      const initialState = { num: 0, size: leaves, parent: system, pending: 10, sum: 0 }
      const root = spawn(system, skynetRoot, 'skynet', { initialState })
      return query(root, (replyTo: Ref<number>): SkynetMsg => ({ type: 'start', replyTo }), queryTimeout)
    })
  },

  async ring(actors, hops): Promise<Trial> {
    const system = start()
    const { promise, resolve } = completion()
    const ring: Ref<RingMsg>[] = []
    for (let i = 0; i < actors; i++) {
      ring.push(
        spawn(
          system,
          (next: Ref<RingMsg> | undefined, msg: RingMsg): Ref<RingMsg> | undefined => {
            if (msg.type === 'next') return msg.next
            if (msg.hops === hops) resolve(msg.hops)
            else dispatch(next!, { type: 'token', hops: msg.hops + 1 })
            return next
          },
          `ring-${i}`,
        ),
      )
    }
    for (let i = 0; i < actors; i++) dispatch(ring[i]!, { type: 'next', next: ring[(i + 1) % actors]! })
    return trial(system, () => {
      dispatch(ring[0]!, { type: 'token', hops: 0 })
      return promise
    })
  },

  async pingPong(roundTrips): Promise<Trial> {
    const system = start()
    const { promise, resolve } = completion()
    const ponger = spawnStateless(
      system,
      (msg: PongMsg): void => dispatch(msg.from, { type: 'pong', n: msg.n }),
      'ponger',
    )
    const pinger = spawnStateless(
      system,
      (msg: PingMsg): void => {
        if (msg.n === roundTrips) resolve(msg.n)
        else dispatch(ponger, { type: 'ping', n: msg.n + 1, from: pinger })
      },
      'pinger',
    )
    return trial(system, () => {
      dispatch(ponger, { type: 'ping', n: 1, from: pinger })
      return promise
    })
  },

  async burst(messages): Promise<Trial> {
    const system = start()
    const { promise, resolve } = completion()
    const actor = spawn(
      system,
      (handled: number, msg: BurstMsg): number => {
        if (msg !== handled) resolve(-1)
        else if (handled + 1 === messages) resolve(messages)
        return handled + 1
      },
      'burst',
      { initialState: 0 },
    )
    return trial(system, () => {
      for (let i = 0; i < messages; i++) dispatch(actor, i)
      return promise
    })
  },

  async ask(requests): Promise<Trial> {
    const system = start()
    const echo = spawnStateless(system, (msg: AskMsg): void => dispatch(msg.reply, msg.i + 1), 'echo')
    return trial(system, async () => {
      let sum = 0
      for (let i = 0; i < requests; i++) {
        sum += await query(echo, (reply: Ref<number>): AskMsg => ({ type: 'ask', i, reply }), queryTimeout)
      }
      return sum
    })
  },

  async spawn(actors): Promise<Trial> {
    const system = start()
    let keep: (Ref<IdleMsg> | null)[] = new Array<Ref<IdleMsg> | null>(actors).fill(null)
    const idle = (state: { seen: number }, msg: IdleMsg): { seen: number } => {
      dispatch(msg.reply, ++state.seen)
      return state
    }
    return {
      async run() {
        for (let i = 0; i < actors; i++)
          keep[i] = spawn(system, idle, `idle-${i}`, { initialState: { seen: 0 } })
        const seen = await query(
          keep[actors - 1]!,
          (reply: Ref<number>): IdleMsg => ({ type: 'ping', reply }),
          queryTimeout,
        )
        return seen === 1 ? new Set(keep).size : -1
      },
      async close() {
        keep = []
        stop(system)
      },
    }
  },
}
