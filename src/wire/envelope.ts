/**
 * Everything nodes say to each other after the handshake, as one union of tagged types. Actors
 * are named by their path on their node (`/user/orders/o-17`); the node is the connection's peer.
 */

/** The version every node states in its handshake; peers of another version are refused. */
export const PROTOCOL_VERSION = 1

/** Why an actor stopped, as it crosses the wire (`StopReason` of the core). */
export type WireStopReason = 'normal' | 'stopped' | 'failed' | 'node-down' | 'noproc'

/** A message for an actor; `from` is the sender's path on the sending node, if any. */
export interface TellEnvelope {
  kind: 'tell'
  to: string
  from?: string
  message: unknown
}

/** A message that expects a `reply` or `error` with the same `id`. */
export interface AskEnvelope {
  kind: 'ask'
  to: string
  id: number
  message: unknown
}

/**
 * Runs the function `name` that the module `module` exposes on the receiving node, as the actor
 * at `actor` (`currentActor()` names it), or as no actor when `actor` is `''`. Answered by a
 * `reply` with the function's result or an `error` with what it threw.
 */
export interface CallEnvelope {
  kind: 'call'
  id: number
  actor: string
  module: string
  name: string
  args: unknown[]
}

/**
 * Opens a stream of the async generator function `name` that the module `module` exposes on the
 * receiving node, run as the actor at `actor` (or as no actor when `actor` is `''`). The receiver
 * pulls at most `window` items before it waits for `stream-credit`; it sends each as a
 * `stream-item`, then `stream-end`, or an `error` with what the generator threw.
 */
export interface StreamEnvelope {
  kind: 'stream'
  id: number
  actor: string
  module: string
  name: string
  args: unknown[]
  window: number
}

/**
 * Items of the stream `id` (or values the function of the context `id` sent), each spending one
 * credit. The producer sends what its generator yielded in one turn of the event loop together, so
 * a fast stream costs one envelope per batch.
 */
export interface StreamItemsEnvelope {
  kind: 'stream-items'
  id: number
  values: unknown[]
}

/** The caller of the stream or context `id` consumed `n` more items: the sender may pull (or send) `n` more. */
export interface StreamCreditEnvelope {
  kind: 'stream-credit'
  id: number
  n: number
}

/** The generator of the stream `id` returned: no more items. */
export interface StreamEndEnvelope {
  kind: 'stream-end'
  id: number
}

/**
 * Opens a context with the function `name` that the module `module` exposes on the receiving
 * node, run as the actor at `actor` (or as no actor when `actor` is `''`) with a channel as its
 * first argument and `args` after it. A context is a call with a stream each way, each side
 * sending at most `window` values the other has not read:
 * - the callee answers `context-started` once its function called `started`, sends its values
 *   as a stream's `stream-items` (credited by the caller's `stream-credit`), and ends with a
 *   `reply` with what the function returned or an `error` with what it threw;
 * - the caller sends its values as `context-items` (credited by the callee's `context-credit`),
 *   ends its side with `context-end`, and may `cancel`.
 */
export interface OpenEnvelope {
  kind: 'open'
  id: number
  actor: string
  module: string
  name: string
  args: unknown[]
  window: number
}

/** The function of the context `id` called `started(first)`: the context is open. */
export interface ContextStartedEnvelope {
  kind: 'context-started'
  id: number
  first: unknown
}

/** Values the caller of the context `id` sent, each spending one of its credits. */
export interface ContextItemsEnvelope {
  kind: 'context-items'
  id: number
  values: unknown[]
}

/** The function of the context `id` read `n` more of its caller's values: the caller may send `n` more. */
export interface ContextCreditEnvelope {
  kind: 'context-credit'
  id: number
  n: number
}

/** The caller of the context `id` closed its side: the function's loop over its channel ends. */
export interface ContextEndEnvelope {
  kind: 'context-end'
  id: number
}

/**
 * The caller gave up the call, stream or context `id` (it left a stream's loop, cancelled the
 * context, or its signal aborted, or it could not send a value of its context): the receiver
 * aborts the call's signal (with a `CancelledError` whose cause is `reason`, if given) and, for a
 * stream, returns its generator. Nothing answers it.
 */
export interface CancelEnvelope {
  kind: 'cancel'
  id: number
  /** Why, when the caller can say: a value of its context it could not send. */
  reason?: unknown
}

/** The answer to the ask, call or context `id`: what the receiver gave `ctx.reply`, or the function returned. */
export interface ReplyEnvelope {
  kind: 'reply'
  id: number
  message: unknown
}

/** The ask, call, stream or context `id` failed: the receiver's error, or why it could not be delivered. */
export interface ErrorEnvelope {
  kind: 'error'
  id: number
  error: unknown
  /** The uid of the actor a failed call, stream or context ran as (`currentActor().uid`). */
  uid?: string
}

/** `watcher` (on the sending node) watches `target` (on the receiving node). */
export interface WatchEnvelope {
  kind: 'watch' | 'unwatch'
  watcher: string
  target: string
}

/** `target` stopped: told to each of its remote watchers. */
export interface TerminatedEnvelope {
  kind: 'terminated'
  watcher: string
  target: string
  reason: WireStopReason
  error?: unknown
}

/** Links `a` (on the sending node) with `b` (on the receiving node), or cuts the link. */
export interface LinkEnvelope {
  kind: 'link' | 'unlink'
  a: string
  b: string
}

/** `from` (on the sending node), linked to `to`, stopped abnormally. */
export interface ExitEnvelope {
  kind: 'exit'
  from: string
  to: string
  reason: WireStopReason
  error?: unknown
}

/** Asks the receiving node to stop one of its actors. */
export interface StopEnvelope {
  kind: 'stop'
  target: string
}

/** Asks the receiving node to spawn the definition it exposes as `behavior`. */
export interface SpawnEnvelope {
  kind: 'spawn'
  id: number
  behavior: string
  name?: string
  props?: unknown
}

/** The spawn `id` succeeded: the new actor's path. Failures come as `error`. */
export interface SpawnedEnvelope {
  kind: 'spawned'
  id: number
  path: string
}

/** Liveness: a `ping` is answered by a `pong` with the same `at`. */
export interface HeartbeatEnvelope {
  kind: 'ping' | 'pong'
  at: number
}

/** Every envelope, told apart by `kind`. */
export type Envelope =
  | TellEnvelope
  | AskEnvelope
  | CallEnvelope
  | StreamEnvelope
  | StreamItemsEnvelope
  | StreamCreditEnvelope
  | StreamEndEnvelope
  | OpenEnvelope
  | ContextStartedEnvelope
  | ContextItemsEnvelope
  | ContextCreditEnvelope
  | ContextEndEnvelope
  | CancelEnvelope
  | ReplyEnvelope
  | ErrorEnvelope
  | WatchEnvelope
  | TerminatedEnvelope
  | LinkEnvelope
  | ExitEnvelope
  | StopEnvelope
  | SpawnEnvelope
  | SpawnedEnvelope
  | HeartbeatEnvelope

/** The `kind` of every envelope. */
export type EnvelopeKind = Envelope['kind']
