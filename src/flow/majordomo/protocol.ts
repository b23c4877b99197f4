/**
 * The frames of the Majordomo Protocol, MDP/0.1 (ZeroMQ RFC 7), and the one convention Troupe
 * adds on top of it: the error reply.
 *
 * A client speaks `[empty, "MDPC01", service, body…]` to the broker and hears the same shape
 * back. A worker speaks `[empty, "MDPW01", command, …]`: READY (+service), REQUEST (+client
 * address, empty, body…), REPLY (+client address, empty, body…), HEARTBEAT, DISCONNECT.
 *
 * @packageDocumentation
 */

/** The protocol header of every client frame set. */
export const MDP_CLIENT = 'MDPC01'
/** The protocol header of every worker frame set. */
export const MDP_WORKER = 'MDPW01'

/** The commands a worker and the broker exchange, one byte each. */
export const Command = {
  Ready: 0x01,
  Request: 0x02,
  Reply: 0x03,
  Heartbeat: 0x04,
  Disconnect: 0x05,
} as const
/** One of {@link Command}. */
export type CommandCode = (typeof Command)[keyof typeof Command]

/**
 * The first body frame of an error reply. MDP/0.1 has no error command, so a reply whose body is
 * exactly `["mdp.error", code, text]` is an error: any MDP client can test the first frame, and
 * the Troupe client turns it into an `MdpServiceError`. Services must not answer with a body
 * that starts with this frame.
 */
export const ERROR_FRAME = 'mdp.error'

/** The codes an error reply carries, after HTTP's, as the `mmi.` namespace does. */
export const ErrorCode = {
  /** The worker's handler threw; the text is its message. */
  HandlerFailed: '500',
  /** The worker holding the request died, and no other worker could take it (or it died too). */
  WorkerLost: '502',
  /** The service's queue of waiting requests is full. */
  QueueFull: '503',
} as const

/** The prefix of the broker's own services (RFC 8, MMI). */
export const MMI_PREFIX = 'mmi.'

const EMPTY = Buffer.alloc(0)
const CLIENT = Buffer.from(MDP_CLIENT)
const WORKER = Buffer.from(MDP_WORKER)
const COMMANDS = new Map<number, Buffer>(Object.values(Command).map((c) => [c, Buffer.from([c])]))
const cmd = (c: CommandCode) => COMMANDS.get(c)!

/** The frames of an error reply body (see {@link ERROR_FRAME}). */
export function errorBody(code: string, text: string): Buffer[] {
  return [Buffer.from(ERROR_FRAME), Buffer.from(code), Buffer.from(text)]
}

/** The code and text of an error reply body, or undefined if `body` is an ordinary reply. */
export function readErrorBody(body: Buffer[]): { code: string; text: string } | undefined {
  if (body.length !== 3 || body[0]!.toString() !== ERROR_FRAME) return undefined
  return { code: body[1]!.toString(), text: body[2]!.toString() }
}

/** A client's frames as a DEALER sends them (the empty delimiter first, as a REQ socket would). */
export function clientFrames(service: string | Buffer, body: Buffer[]): Buffer[] {
  return [EMPTY, CLIENT, typeof service === 'string' ? Buffer.from(service) : service, ...body]
}

/** A worker's command frames as a DEALER sends them. */
export function workerFrames(command: CommandCode, rest: Buffer[] = []): Buffer[] {
  return [EMPTY, WORKER, cmd(command), ...rest]
}

/** What a ROUTER (the broker) sends to the worker behind `address`. */
export function toWorker(address: Buffer, command: CommandCode, rest: Buffer[] = []): Buffer[] {
  return [address, EMPTY, WORKER, cmd(command), ...rest]
}

/**
 * What a ROUTER (the broker) sends to the client behind `address`: a reply from `service`, with
 * the request's tag first if it had one (see {@link taggedClientFrames}).
 */
export function toClient(address: Buffer, service: Buffer, body: Buffer[], tag?: Buffer): Buffer[] {
  return tag === undefined
    ? [address, EMPTY, CLIENT, service, ...body]
    : [address, tag, EMPTY, CLIENT, service, ...body]
}

/**
 * A tagged client's frames: the client's own frames after one tag frame, which the Troupe broker
 * returns first in the reply, so that a client with many requests in flight on one DEALER can
 * tell which reply is whose. MDP/0.1 has no such frame (a REQ-like client holds one request at a
 * time), so only a Troupe broker serves a tagged client; a plain client's frames are unchanged.
 */
export function taggedClientFrames(tag: Buffer, service: Buffer, body: Buffer[]): Buffer[] {
  return [tag, EMPTY, CLIENT, service, ...body]
}

/** A frame set the broker received, read; `malformed` says what is wrong with it. */
export type BrokerInbound =
  | { kind: 'client'; sender: Buffer; service: Buffer; body: Buffer[]; tag: Buffer | undefined }
  | { kind: 'worker'; sender: Buffer; command: CommandCode; rest: Buffer[] }
  | { kind: 'malformed'; sender: Buffer | undefined; reason: string }

const KNOWN = new Set<number>(Object.values(Command))

/**
 * Reads what a ROUTER received: `[sender, empty, header, …]`, or `[sender, tag, empty, "MDPC01", …]`
 * from a tagged client.
 */
export function readBrokerInbound(frames: Buffer[]): BrokerInbound {
  const sender = frames[0]
  if (frames.length < 3) return { kind: 'malformed', sender, reason: 'missing frames' }
  if (frames[1]!.length !== 0) {
    if (frames.length >= 4 && frames[2]!.length === 0 && frames[3]!.equals(CLIENT)) {
      if (frames.length < 5) return { kind: 'malformed', sender, reason: 'client request without a service' }
      return { kind: 'client', sender: sender!, service: frames[4]!, body: frames.slice(5), tag: frames[1] }
    }
    return { kind: 'malformed', sender, reason: 'no empty delimiter frame' }
  }
  const header = frames[2]!
  if (header.equals(CLIENT)) {
    if (frames.length < 4) return { kind: 'malformed', sender, reason: 'client request without a service' }
    return { kind: 'client', sender: sender!, service: frames[3]!, body: frames.slice(4), tag: undefined }
  }
  if (header.equals(WORKER)) {
    const command = frames[3]
    if (command === undefined || command.length !== 1 || !KNOWN.has(command[0]!))
      return { kind: 'malformed', sender, reason: 'unknown worker command' }
    return { kind: 'worker', sender: sender!, command: command[0] as CommandCode, rest: frames.slice(4) }
  }
  return { kind: 'malformed', sender, reason: 'unknown protocol header' }
}

/**
 * Splits `[client address, empty, body…]`, the tail of REQUEST and REPLY, or undefined if the
 * delimiter is missing.
 */
export function splitEnvelope(rest: Buffer[]): { client: Buffer; body: Buffer[] } | undefined {
  if (rest.length < 2 || rest[1]!.length !== 0) return undefined
  return { client: rest[0]!, body: rest.slice(2) }
}
