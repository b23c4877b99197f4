import type { MessagePort } from 'node:worker_threads'
import type { PeerInfo } from '../transport.ts'

/**
 * What a thread started by `spawnThread` finds in `workerData`.
 *
 * @internal read by `connectParent` and the TypeScript bootstrap.
 */
export interface ThreadWorkerData {
  /** Marks the data as Troupe's, so `connectParent` can tell it from other workers' data. */
  readonly troupeThread: 1
  /** The parent node's name and incarnation. */
  readonly parent: PeerInfo
  /** The node name the parent gave the thread. */
  readonly node: string
  /** The largest frame body either side accepts. */
  readonly maxFrameBytes: number
  /** After a clean close, how long to wait for the other side to close the port. */
  readonly closeTimeoutMs: number
  /** The port that carries frames and control messages to the parent. */
  readonly port: MessagePort
  /** The module the thread runs (the bootstrap imports it). */
  readonly entry: string
  /** The initial state the parent gave the thread. */
  readonly data: unknown
}

/**
 * The control messages on a thread's port. Frames travel as a `Uint8Array` of length-prefixed
 * bodies (4-byte big-endian length, then the body), several per message.
 */
export type ThreadControl =
  /** The thread's first message: who it is. */
  | { readonly type: 'hello'; readonly node: string; readonly incarnation: string }
  /** The sender closes the connection; `reason` is the message of the error it closed with, if any. */
  | { readonly type: 'close'; readonly reason?: string }

/** Whether `value` is Troupe's `workerData`. */
export function isThreadWorkerData(value: unknown): value is ThreadWorkerData {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { troupeThread?: unknown }).troupeThread === 1 &&
    typeof (value as { node?: unknown }).node === 'string'
  )
}

/** Whether `value` is a {@link ThreadControl} message. */
export function isThreadControl(value: unknown): value is ThreadControl {
  if (typeof value !== 'object' || value === null) return false
  const type = (value as { type?: unknown }).type
  if (type === 'close') {
    const reason = (value as { reason?: unknown }).reason
    return reason === undefined || typeof reason === 'string'
  }
  return (
    type === 'hello' &&
    typeof (value as { node?: unknown }).node === 'string' &&
    typeof (value as { incarnation?: unknown }).incarnation === 'string'
  )
}
