/**
 * The floor: the cheapest actor runtime plain Node allows, to measure every other subject against.
 * An array queue per actor, one shared run queue (a linked list through the actors) drained in a
 * microtask, a bounded batch per actor per turn, and nothing else: no supervision, no isolation, no names, no timeouts, no dead letters.
 */
import { assertSkynetSize, type Subject, type Trial } from './workloads.ts'

const batch = 100
/** `queueMicrotask` costs an async resource per call in Node 20; a settled promise does not. */
const resolved = Promise.resolve()

/** The run queue is intrusive (a `next` link in each actor): scheduling allocates nothing. */
class FloorSystem {
  private first: FloorActor<unknown> | null = null
  private last: FloorActor<unknown> | null = null
  private draining = false

  schedule(actor: FloorActor<unknown>): void {
    if (this.last === null) this.first = actor
    else this.last.nextInQueue = actor
    this.last = actor
    if (!this.draining) {
      this.draining = true
      resolved.then(this.drain)
    }
  }

  private readonly drain = (): void => {
    let actor = this.first
    while (actor !== null) {
      this.first = actor.nextInQueue
      if (this.first === null) this.last = null
      actor.nextInQueue = null
      actor.runBatch()
      actor = this.first
    }
    this.draining = false
  }
}

abstract class FloorActor<M> {
  /** Created at the first message; its capacity is kept, so a busy actor allocates nothing per message. */
  private mailbox: (M | undefined)[] | null = null
  private head = 0
  private tail = 0
  private scheduled = false
  protected stopped = false
  /** The next actor in the run queue. */
  nextInQueue: FloorActor<unknown> | null = null

  constructor(protected readonly system: FloorSystem) {}

  protected abstract receive(msg: M): void

  tell(msg: M): void {
    if (this.stopped) return
    if (this.mailbox === null) this.mailbox = [msg]
    else this.mailbox[this.tail] = msg
    this.tail++
    if (!this.scheduled) {
      this.scheduled = true
      this.system.schedule(this as FloorActor<unknown>)
    }
  }

  protected stop(): void {
    this.stopped = true
    this.mailbox = null
  }

  runBatch(): void {
    const mailbox = this.mailbox!
    const end = Math.min(this.tail, this.head + batch)
    while (this.head < end && !this.stopped) {
      const msg = mailbox[this.head]!
      mailbox[this.head++] = undefined
      this.receive(msg)
    }
    if (this.head < this.tail && !this.stopped) {
      this.system.schedule(this as FloorActor<unknown>)
      return
    }
    this.head = 0
    this.tail = 0
    this.scheduled = false
  }
}

/** A one-shot completion, the way a test waits for an actor to finish. */
function completion(): { promise: Promise<number>; resolve: (value: number) => void } {
  let resolve: (value: number) => void = () => {}
  const promise = new Promise<number>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

const closed = async (): Promise<void> => {}

// skynet

type SkynetMsg = { type: 'start' } | { type: 'sum'; value: number }
const startMsg: SkynetMsg = { type: 'start' }
type SkynetParent = FloorActor<SkynetMsg> | ((sum: number) => void)

class Skynet extends FloorActor<SkynetMsg> {
  private pending = 10
  private sum = 0

  constructor(
    system: FloorSystem,
    private readonly parent: SkynetParent,
    private readonly num: number,
    private readonly size: number,
  ) {
    super(system)
  }

  protected receive(msg: SkynetMsg): void {
    if (msg.type === 'start') {
      if (this.size === 1) {
        this.finish(this.num)
        return
      }
      const size = this.size / 10
      for (let i = 0; i < 10; i++) new Skynet(this.system, this, this.num + i * size, size).tell(startMsg)
      return
    }
    this.sum += msg.value
    if (--this.pending === 0) this.finish(this.sum)
  }

  private finish(sum: number): void {
    if (typeof this.parent === 'function') this.parent(sum)
    else this.parent.tell({ type: 'sum', value: sum })
    this.stop()
  }
}

// ring

type RingMsg = { type: 'next'; next: Ring } | { type: 'token'; hops: number }

class Ring extends FloorActor<RingMsg> {
  private next: Ring | undefined

  constructor(
    system: FloorSystem,
    private readonly total: number,
    private readonly done: (hops: number) => void,
  ) {
    super(system)
  }

  protected receive(msg: RingMsg): void {
    if (msg.type === 'next') {
      this.next = msg.next
      return
    }
    if (msg.hops === this.total) this.done(msg.hops)
    else this.next!.tell({ type: 'token', hops: msg.hops + 1 })
  }
}

// ping-pong

type PingMsg = { type: 'pong'; n: number }
type PongMsg = { type: 'ping'; n: number; from: Pinger }

class Pinger extends FloorActor<PingMsg> {
  constructor(
    system: FloorSystem,
    private readonly ponger: Ponger,
    private readonly roundTrips: number,
    private readonly done: (n: number) => void,
  ) {
    super(system)
  }

  protected receive(msg: PingMsg): void {
    if (msg.n === this.roundTrips) this.done(msg.n)
    else this.ponger.tell({ type: 'ping', n: msg.n + 1, from: this })
  }
}

class Ponger extends FloorActor<PongMsg> {
  protected receive(msg: PongMsg): void {
    msg.from.tell({ type: 'pong', n: msg.n })
  }
}

// burst

/** A burst message is its sequence number: the figure measures the mailbox, not 1M live allocations. */
type BurstMsg = number

class Burst extends FloorActor<BurstMsg> {
  private handled = 0

  constructor(
    system: FloorSystem,
    private readonly total: number,
    private readonly done: (handled: number) => void,
  ) {
    super(system)
  }

  protected receive(msg: BurstMsg): void {
    if (msg !== this.handled) this.done(-1)
    else if (++this.handled === this.total) this.done(this.handled)
  }
}

// ask

type AskMsg = { type: 'ask'; i: number; reply: (value: number) => void }

class Echo extends FloorActor<AskMsg> {
  protected receive(msg: AskMsg): void {
    msg.reply(msg.i + 1)
  }
}

function ask(actor: Echo, i: number): Promise<number> {
  return new Promise((resolve) => actor.tell({ type: 'ask', i, reply: resolve }))
}

// spawn

type IdleMsg = { type: 'ping'; reply: (value: number) => void }

class Idle extends FloorActor<IdleMsg> {
  private readonly state = { seen: 0 }

  protected receive(msg: IdleMsg): void {
    msg.reply(++this.state.seen)
  }
}

export const floor: Subject = {
  async skynet(leaves): Promise<Trial> {
    assertSkynetSize(leaves)
    const system = new FloorSystem()
    return {
      run() {
        const { promise, resolve } = completion()
        new Skynet(system, resolve, 0, leaves).tell(startMsg)
        return promise
      },
      close: closed,
    }
  },

  async ring(actors, hops): Promise<Trial> {
    const system = new FloorSystem()
    const { promise, resolve } = completion()
    const ring: Ring[] = []
    for (let i = 0; i < actors; i++) ring.push(new Ring(system, hops, resolve))
    for (let i = 0; i < actors; i++) ring[i]!.tell({ type: 'next', next: ring[(i + 1) % actors]! })
    return {
      run() {
        ring[0]!.tell({ type: 'token', hops: 0 })
        return promise
      },
      close: closed,
    }
  },

  async pingPong(roundTrips): Promise<Trial> {
    const system = new FloorSystem()
    const { promise, resolve } = completion()
    const ponger = new Ponger(system)
    const pinger = new Pinger(system, ponger, roundTrips, resolve)
    return {
      run() {
        ponger.tell({ type: 'ping', n: 1, from: pinger })
        return promise
      },
      close: closed,
    }
  },

  async burst(messages): Promise<Trial> {
    const system = new FloorSystem()
    const { promise, resolve } = completion()
    const actor = new Burst(system, messages, resolve)
    return {
      run() {
        for (let i = 0; i < messages; i++) actor.tell(i)
        return promise
      },
      close: closed,
    }
  },

  async ask(requests): Promise<Trial> {
    const system = new FloorSystem()
    const echo = new Echo(system)
    return {
      async run() {
        let sum = 0
        for (let i = 0; i < requests; i++) sum += await ask(echo, i)
        return sum
      },
      close: closed,
    }
  },

  async spawn(actors): Promise<Trial> {
    const system = new FloorSystem()
    let keep = new Array<Idle | null>(actors).fill(null)
    return {
      async run() {
        for (let i = 0; i < actors; i++) keep[i] = new Idle(system)
        const last = keep[actors - 1]!
        const seen = await new Promise<number>((reply) => last.tell({ type: 'ping', reply }))
        return seen === 1 ? new Set(keep).size : -1
      },
      async close() {
        keep = []
      },
    }
  },
}
