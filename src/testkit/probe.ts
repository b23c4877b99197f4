import { type ActorSystem, defineActor, type Ref, type Signal, Terminated } from '../index.ts'

/** Options of the probe's `expect…` methods. */
export interface ExpectOptions {
  /**
   * Milliseconds to wait before the expectation fails.
   * @default 3000
   */
  timeout?: number
}

interface Waiter {
  match: (message: unknown) => boolean
  resolve: (message: unknown) => void
}

type ProbeCommand = { readonly probeWatch: Ref }

/**
 * An actor for tests that records what it receives and lets the test wait for it.
 *
 * @example
 * ```ts
 * const probe = createTestProbe<number>(system)
 * echo.tell(42, probe.ref)
 * await probe.expectMessage((m) => m === 42)
 * ```
 */
export class TestProbe<M = unknown> {
  /** The probe's ref: give it as a sender or put it in messages. */
  readonly ref: Ref<M>
  /** Received messages not yet taken by an expectation, oldest first. */
  readonly queue: (M | Signal)[] = []
  /** The sender of the message most recently taken by an expectation. */
  lastSender: Ref | undefined
  private readonly senders: (Ref | undefined)[] = []
  private waiter: Waiter | undefined

  constructor(system: ActorSystem, name?: string) {
    const Probe = defineActor<M | ProbeCommand>({
      receive: (_state, message, ctx) => {
        if (isWatchCommand(message)) ctx.watch(message.probeWatch)
        else this.deliver(message, ctx.sender)
      },
      signal: (_state, signal) => this.deliver(signal, undefined),
    })
    this.ref = system.spawn(Probe, name === undefined ? {} : { name }) as Ref<M>
  }

  /** Waits for the next message that `match` accepts (any message without it); earlier non-matching ones fail the expectation. */
  expectMessage<T extends M>(match?: (message: M) => message is T, options?: ExpectOptions): Promise<T>
  expectMessage(match?: (message: M) => boolean, options?: ExpectOptions): Promise<M>
  async expectMessage(match?: (message: M) => boolean, options: ExpectOptions = {}): Promise<M> {
    const message = (await this.next(options.timeout ?? 3000, 'a message')) as M
    if (match !== undefined && !match(message)) {
      throw new Error(`probe ${this.ref.path} expected another message, got ${show(message)}`)
    }
    return message
  }

  /** Takes the next `count` messages. */
  async receiveMessages(count: number, options: ExpectOptions = {}): Promise<M[]> {
    const out: M[] = []
    const deadline = Date.now() + (options.timeout ?? 3000)
    while (out.length < count) {
      out.push(
        (await this.next(Math.max(1, deadline - Date.now()), `${count} messages (got ${out.length})`)) as M,
      )
    }
    return out
  }

  /**
   * Fails if a message arrives within `ms`. This one waits the whole time by design: it checks
   * that nothing happens.
   */
  async expectNoMessage(ms = 100): Promise<void> {
    const message = await this.next(ms, '').then(
      (m) => ({ m }),
      () => undefined,
    )
    if (message !== undefined)
      throw new Error(`probe ${this.ref.path} expected no message, got ${show(message.m)}`)
  }

  /** Watches `ref` and waits for its `Terminated`. */
  async expectTerminated(ref: Ref, options: ExpectOptions = {}): Promise<Terminated> {
    ;(this.ref as Ref<M | ProbeCommand>).tell({ probeWatch: ref })
    const deadline = Date.now() + (options.timeout ?? 3000)
    for (;;) {
      const signal = await this.next(Math.max(1, deadline - Date.now()), `Terminated of ${ref.path}`)
      if (signal instanceof Terminated && signal.ref.equals(ref)) return signal
    }
  }

  /** Replies to the sender of the last message taken. */
  reply(value: unknown): void {
    if (this.lastSender === undefined) throw new Error('the last message had no sender')
    this.lastSender.tell(value, this.ref)
  }

  private deliver(message: M | Signal, sender: Ref | undefined): void {
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      this.lastSender = sender
      waiter.resolve(message)
      return
    }
    this.queue.push(message)
    this.senders.push(sender)
  }

  private next(timeoutMs: number, what: string): Promise<M | Signal> {
    if (this.queue.length > 0) {
      this.lastSender = this.senders.shift()
      return Promise.resolve(this.queue.shift()!)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined
        reject(new Error(`probe ${this.ref.path} waited ${timeoutMs} ms for ${what}`))
      }, timeoutMs)
      this.waiter = {
        match: () => true,
        resolve: (message) => {
          clearTimeout(timer)
          resolve(message as M | Signal)
        },
      }
    })
  }
}

function isWatchCommand(message: unknown): message is ProbeCommand {
  return typeof message === 'object' && message !== null && 'probeWatch' in message
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Creates a {@link TestProbe} on `system`. */
export function createTestProbe<M = unknown>(
  system: ActorSystem,
  options: { name?: string } = {},
): TestProbe<M> {
  return new TestProbe<M>(system, options.name)
}
