import { InvalidOptionError } from '../../index.ts'

/** The part of a pino logger the MajorDomo parts write to. */
export interface MdpLogger {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

/** A logger that writes warnings to stderr, for when none is given. */
export const stderrLogger: MdpLogger = {
  warn: (obj, msg) => process.stderr.write(`majordomo warn: ${msg} ${JSON.stringify(obj)}\n`),
  info: () => {},
  debug: () => {},
}

/** The part of a zeromq socket a {@link SendQueue} uses. */
export interface SendingSocket {
  send(frames: Buffer[]): Promise<void>
  readonly closed: boolean
}

/**
 * Sends frame sets on one socket in order. A zeromq v6 socket takes one `send` at a time (a second
 * one rejects with EBUSY), so everything that sends on a socket goes through its queue.
 */
export class SendQueue {
  private readonly queue: Buffer[][] = []
  private draining: Promise<void> | undefined

  constructor(
    private readonly socket: SendingSocket,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queues `frames`; returns at once. */
  send(frames: Buffer[]): void {
    this.queue.push(frames)
    this.draining ??= this.drain()
  }

  /** Resolves once everything queued so far is handed to the socket. */
  async flushed(): Promise<void> {
    await this.draining
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.socket.closed) {
        const frames = this.queue.shift()!
        try {
          await this.socket.send(frames)
        } catch (error) {
          if (!this.socket.closed) this.onError(error)
        }
      }
    } finally {
      this.draining = undefined
    }
  }
}

/**
 * Lets one warning per key through every `intervalMs`, and counts those it held back so the next
 * one can say how many: a peer that sends garbage in a loop must not flood the log.
 */
export class WarnLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>()

  constructor(
    private readonly logger: MdpLogger,
    private readonly intervalMs = 1000,
  ) {}

  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = performance.now()
    const entry = this.last.get(key)
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++
      return
    }
    const suppressed = entry?.suppressed ?? 0
    this.last.set(key, { at: now, suppressed: 0 })
    this.logger.warn(suppressed > 0 ? { ...obj, suppressed } : obj, msg)
  }
}

/** `value` if it is a positive finite number; throws `InvalidOptionError` naming `option` if not. */
export function positive(option: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidOptionError(option, 'must be a positive number')
  return value
}
