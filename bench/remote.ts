import type { Params, SizeName } from './workloads.ts'

export type RemoteWorkloadName =
  | 'remote-ping-pong'
  | 'remote-tells'
  | 'remote-ask'
  | 'remote-ping-pong-sealed'
  | 'remote-tells-sealed'
export const remoteWorkloadNames: readonly RemoteWorkloadName[] = [
  'remote-ping-pong',
  'remote-tells',
  'remote-ask',
  'remote-ping-pong-sealed',
  'remote-tells-sealed',
]

/** The `-sealed` figures run the same workload with `frameAuth: true` on both nodes (the floor is the same raw socket). */
export function isSealed(workload: RemoteWorkloadName): boolean {
  return workload.endsWith('-sealed')
}

/** The workload a figure runs, without its `-sealed`. */
export function baseWorkload(
  workload: RemoteWorkloadName,
): 'remote-ping-pong' | 'remote-tells' | 'remote-ask' {
  return workload === 'remote-ping-pong-sealed'
    ? 'remote-ping-pong'
    : workload === 'remote-tells-sealed'
      ? 'remote-tells'
      : (workload as 'remote-ping-pong' | 'remote-tells' | 'remote-ask')
}

/** `floor` is raw `node:net` between the same two processes; `troupe` is two networked nodes. */
export type RemoteSubjectName = 'floor' | 'troupe'

export function isRemoteWorkload(name: string): name is RemoteWorkloadName {
  return (remoteWorkloadNames as readonly string[]).includes(name)
}

const fullParams: Record<RemoteWorkloadName, Params> = {
  'remote-ping-pong': { count: 20_000 },
  'remote-tells': { count: 1_000_000 },
  'remote-ask': { count: 20_000 },
  'remote-ping-pong-sealed': { count: 20_000 },
  'remote-tells-sealed': { count: 1_000_000 },
}

/** Tiny sizes: the round trips at 1/100 (a handful would prove nothing), the tells at 1/1000. */
const tinyParams: Record<RemoteWorkloadName, Params> = {
  'remote-ping-pong': { count: 200 },
  'remote-tells': { count: 1_000 },
  'remote-ask': { count: 200 },
  'remote-ping-pong-sealed': { count: 200 },
  'remote-tells-sealed': { count: 1_000 },
}

export function remoteParamsFor(workload: RemoteWorkloadName, size: SizeName): Params {
  return (size === 'full' ? fullParams : tinyParams)[workload]
}

/** Round trips made, tells counted in order by the far side, or the sum of the ask replies. */
export function remoteExpected(workload: RemoteWorkloadName, params: Params): number {
  return baseWorkload(workload) === 'remote-ask' ? (params.count * (params.count + 1)) / 2 : params.count
}

/** One remote job, as run.ts passes it to `remote-worker.ts`. */
export interface RemoteJob {
  subject: RemoteSubjectName
  workload: RemoteWorkloadName
  /** The far side: `host:port` of the raw server, or the name of the far Troupe node. */
  far: string
  params: Params
  warmup: Params | null
  repeatBelowMs: number
  maxRuns: number
  timeoutMs: number
}

/** What the far process sends over IPC once it listens. */
export interface FarReady {
  ready: string
}

export const benchCookie = 'troupe-bench-cookie'

/**
 * Node options of both sides: the defaults but for the heartbeat timeout, so that a 1M-tell loop
 * that holds the event loop for a second or more on a loaded 2-core machine is not taken for a
 * dead node, and for the log level: the far sink's mailbox passes its high-water mark (10,000)
 * during the 1M tells, and each warning would be a log line. A lost connection still fails the
 * run (asks reject with `NodeDownError`). The 1M tells are sent in one synchronous loop, which
 * queues tens of MiB for the socket at once: `maxQueuedBytes` is raised past it, as a program that
 * sends such bursts must do.
 */
export const nodeOptions = {
  cookie: benchCookie,
  messages: 'none',
  logLevel: 'error',
  heartbeatTimeoutMs: 30_000,
  maxQueuedBytes: 1024 * 1024 * 1024,
} as const

export { freePort } from '../src/testkit/free-port.ts'

// ---- the raw floor's framing ----

/** The messages of the raw floor, the same shapes as the actors' (a ping carries no ref). */
export type RawMsg =
  | { type: 'ping'; n: number }
  | { type: 'pong'; n: number }
  | { type: 'n'; i: number }
  | { type: 'count' }
  | { type: 'counted'; n: number }
  | { type: 'ask'; i: number }
  | { type: 'reply'; value: number }

/** One frame: a 4-byte big-endian length and the JSON body. */
export function rawFrame(message: RawMsg): Buffer {
  const json = JSON.stringify(message)
  const length = Buffer.byteLength(json)
  const frame = Buffer.allocUnsafe(4 + length)
  frame.writeUInt32BE(length, 0)
  frame.write(json, 4)
  return frame
}

/**
 * Frames many messages into 64 KiB slabs, each written to the socket when full (and the rest
 * by `flush`): one write per slab rather than per frame, as a transport that batches does.
 */
export class RawBatcher {
  private slab = Buffer.allocUnsafe(64 * 1024)
  private end = 0

  constructor(private readonly write: (chunk: Buffer) => void) {}

  add(message: RawMsg): void {
    const json = JSON.stringify(message)
    // JSON of these messages is ASCII: one byte per character.
    if (this.slab.length - this.end < 4 + json.length) this.flush()
    const length = this.slab.write(json, this.end + 4)
    this.slab.writeUInt32BE(length, this.end)
    this.end += 4 + length
  }

  flush(): void {
    if (this.end === 0) return
    this.write(this.slab.subarray(0, this.end))
    this.slab = Buffer.allocUnsafe(64 * 1024)
    this.end = 0
  }
}

/** Splits a socket's chunks into frames and parses each body as JSON. */
export class RawDecoder {
  private pending: Buffer | undefined

  constructor(private readonly onMessage: (message: RawMsg) => void) {}

  push(chunk: Buffer): void {
    let buffer = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = undefined
    let at = 0
    while (buffer.length - at >= 4) {
      const length = buffer.readUInt32BE(at)
      if (buffer.length - at - 4 < length) break
      this.onMessage(JSON.parse(buffer.toString('utf8', at + 4, at + 4 + length)) as RawMsg)
      at += 4 + length
    }
    if (at < buffer.length) {
      buffer = buffer.subarray(at)
      this.pending = buffer
    }
  }
}
