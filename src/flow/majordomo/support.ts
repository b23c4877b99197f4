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

/** The part of a zeromq socket {@link receiveEach} reads. */
export interface ReceivingSocket {
  receive(): Promise<Buffer[]>
  readonly closed: boolean
}

/**
 * Passes every frame set `socket` receives to `handle`, until the socket closes or `handle`
 * returns false. It awaits `receive()` itself rather than `for await`: zeromq's async iterator
 * wraps each receive in an async function of its own, a promise and a result object more per
 * frame set, and a ready socket resolves `receive()` synchronously anyway.
 */
export async function receiveEach(
  socket: ReceivingSocket,
  handle: (frames: Buffer[]) => boolean,
): Promise<void> {
  while (!socket.closed) {
    let frames: Buffer[]
    try {
      frames = await socket.receive()
    } catch (error) {
      // Closing the socket ends a pending receive with EAGAIN.
      if (socket.closed) return
      throw error
    }
    if (handle(frames) === false) return
  }
}
