/**
 * Everything nodes say to each other after the handshake, as one union of tagged types. Actors
 * are named by their path on their node (`/user/orders/o-17`); the node is the connection's peer.
 *
 * | kinds                                | sent by                                    |
 * | ------------------------------------ | ------------------------------------------ |
 * | `tell`, `ask`                        | the sender's node                          |
 * | `reply`                              | the asked actor's node                     |
 * | `error`                              | the node an ask, `open`, `spawn`, `stop`, `snapshot` or `observe` went to |
 * | `watch`, `unwatch`, `link`, `unlink` | the watcher's (the linker's) node          |
 * | `terminated`                         | the watched actor's node                   |
 * | `exit`                               | the node of the linked actor that ended    |
 * | `stop`, `spawn`, `snapshot`, `observe` | the node that asks for it                |
 * | `spawned`                            | the node that spawned                      |
 * | `ping`; `pong`                       | either node; the pinged node               |
 * | `open`, `cancel`                     | the caller of remote work                  |
 * | `started`                            | the callee (a context's function)          |
 * | `items`, `credit`, `end`             | either end of a context, named by `by`     |
 */

/**
 * The version every node states in its handshake; peers of another version are refused.
 * Version 3: a frame holds one envelope or a batch of them (an array). Version 4: the hello
 * carries the `frameAuth` flag and no incarnation, which comes with the proofs; frames may be sealed.
 * Version 5: `snapshot`, and a `stop` may say `reason: 'killed'` (stop reason `killed`).
 * Version 6: `observe` (one page of the children of an actor, with their counters).
 */
export const PROTOCOL_VERSION = 6

/** Why an actor stopped, as it crosses the wire (`StopReason` of the core). */
export type WireStopReason = 'normal' | 'stopped' | 'killed' | 'failed' | 'node-down' | 'noproc'

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
 * How the callee of an `open` runs its function, and so which of the remote-work kinds follow:
 * - `run`: the function's result comes back as `end`; no items either way (`portal.run`);
 * - `stream`: the callee pulls its async generator only with credit, sends what it yields as
 *   `items`, then `end` (`portal.stream`);
 * - `context`: the function gets a channel first; the callee answers `started`, then both sides
 *   send `items` with credit, the caller ends its side with `end`, and the callee's `end` carries
 *   what the function returned (`portal.open`).
 */
export type OpenMode = 'run' | 'stream' | 'context'

/** Which end of a context sent an `items`, `credit` or `end` (both ends send them, under the opener's id). */
export type ContextSide = 'caller' | 'callee'

/**
 * Runs the function `name` that the module `module` exposes on the receiving node, as the actor
 * at `actor` (`currentActor()` names it), or as no actor when `actor` is `''`, in the `mode`
 * that says how (see {@link OpenMode}). Each side sends at most `window` items the other has
 * not read (a `run` sends none, and states 1). The context `id` ends with the callee's `end`, an `error` with what the function
 * threw, or the caller's `cancel`.
 */
export interface OpenEnvelope {
  kind: 'open'
  id: number
  actor: string
  module: string
  name: string
  args: unknown[]
  mode: OpenMode
  window: number
}

/** The function of the context `id` called `channel.started(first)`: the context is open. */
export interface StartedEnvelope {
  kind: 'started'
  id: number
  first: unknown
}

/**
 * Values that side `by` of the context `id` sent, each spending one of its credits. A side sends
 * what it gathered in one turn of the event loop together, so a fast stream costs one envelope
 * per batch.
 */
export interface ItemsEnvelope {
  kind: 'items'
  id: number
  by: ContextSide
  values: unknown[]
}

/** Side `by` of the context `id` read `n` more values: the other side may send (or pull) `n` more. */
export interface CreditEnvelope {
  kind: 'credit'
  id: number
  by: ContextSide
  n: number
}

/**
 * Side `by` of the context `id` is done: the callee's function returned `value` (a stream's
 * generator ended), or the caller closed its side of a context (its callee's loop ends).
 */
export interface EndEnvelope {
  kind: 'end'
  id: number
  by: ContextSide
  value?: unknown
}

/**
 * The caller gave up the context `id` (it left a stream's loop, cancelled, its signal aborted or
 * its time ran out, or it could not send a value): the callee aborts the function's signal (with
 * a `CancelledError` whose cause is `reason`, if given) and, for a stream, returns its generator.
 * A `run` is still answered (with its result, or the error it ended with); nothing else is.
 */
export interface CancelEnvelope {
  kind: 'cancel'
  id: number
  /** Why, when the caller can say: a value of its context it could not send. */
  reason?: unknown
}

/** The answer to the ask `id`: what the receiver gave `ctx.reply`. */
export interface ReplyEnvelope {
  kind: 'reply'
  id: number
  message: unknown
}

/** The ask, context or spawn `id` failed: the receiver's error, or why it could not be delivered. */
export interface ErrorEnvelope {
  kind: 'error'
  id: number
  error: unknown
  /** The uid of the actor the function of a failed context ran as (`currentActor().uid`). */
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

/**
 * Asks the receiving node to stop one of its actors; a node that refuses answers `id` with
 * `error`. With `reason: 'killed'` the actor is killed (`system.kill`), else stopped.
 */
export interface StopEnvelope {
  kind: 'stop'
  target: string
  id?: number
  reason?: WireStopReason
}

/**
 * Asks the receiving node for the state snapshot of one of its actors (`system.snapshot`): it
 * answers `id` with a `reply` holding the snapshot, or with `error` (no such actor, no snapshot).
 */
export interface SnapshotEnvelope {
  kind: 'snapshot'
  target: string
  id: number
}

/**
 * Asks the receiving node for one page of the children of its actor at `parent` (`/user` for the
 * actors spawned on its system), from `offset` in spawn order, at most `limit` of them
 * (`system.observe`): it answers `id` with a `reply` holding an `ObservedPage` (each child's path,
 * name, child count and counters), or with `error` (no such actor, a refusal of an untrusted node).
 */
export interface ObserveEnvelope {
  kind: 'observe'
  id: number
  parent: string
  offset: number
  limit: number
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
  | OpenEnvelope
  | StartedEnvelope
  | ItemsEnvelope
  | CreditEnvelope
  | EndEnvelope
  | CancelEnvelope
  | ReplyEnvelope
  | ErrorEnvelope
  | WatchEnvelope
  | TerminatedEnvelope
  | LinkEnvelope
  | ExitEnvelope
  | StopEnvelope
  | SnapshotEnvelope
  | ObserveEnvelope
  | SpawnEnvelope
  | SpawnedEnvelope
  | HeartbeatEnvelope

/** The `kind` of every envelope. */
export type EnvelopeKind = Envelope['kind']
