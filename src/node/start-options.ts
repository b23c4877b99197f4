import type { SystemOptions } from '../core/system-options.ts'
import type { LivenessOptions } from '../remote/node/remote-node.ts'
import type { TrustOptions } from '../remote/node/trust.ts'
import type { StrangerLimits } from '../transport/stranger-limits.ts'
import type { ErrorClass } from '../wire/wire-error.ts'
import type { TransportChoice } from './transports.ts'

/** The port the root node, which hosts the cluster registry, listens on unless told otherwise. */
export const DEFAULT_REGISTRY_PORT = 1616

/**
 * Options of a node that talks to other nodes. Its TCP listener also takes the
 * {@link StrangerLimits}: `maxHandshakes`, `maxHandshakesPerAddress`, `maxFailedProofs`,
 * `failedProofWindowMs`, `refusalLogIntervalMs`.
 */
export interface NodeOptions
  extends SystemOptions,
    LivenessOptions,
    TrustOptions,
    TransportChoice,
    StrangerLimits {
  /**
   * The secret every node of the cluster shares, at least 16 characters; it never crosses the wire.
   * @default process.env.TROUPE_COOKIE, else the contents of ~/.troupe-cookie (created if missing)
   */
  cookie?: string
  /**
   * Largest frame this node accepts or sends, in bytes.
   * @default 1048576 (1 MiB)
   */
  maxFrameBytes?: number
  /**
   * A connection that has not proven the cookie within this many milliseconds is closed.
   * @default 5000
   */
  handshakeTimeoutMs?: number
  /** TLS between nodes (mutual: each side checks the other's certificate against `ca`). */
  tls?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer }

  // ---- frame authentication, the hello's deadline, the bound of what is queued ----

  /**
   * Seal every frame after the handshake (AES-256-GCM, keys derived from the cookie and both
   * handshake nonces), so that a relay on the path cannot inject, alter, replay, reorder or drop
   * frames: any of these closes the connection. The nodes of a cluster must agree on it. `false`
   * leaves only the handshake's proofs: fine on loopback, where nothing but this machine is on
   * the path, and warned about at start when the node listens beyond it without TLS.
   * @default true for connections over a network address (unless over TLS, which authenticates
   * frames already), false over loopback
   */
  frameAuth?: boolean
  /**
   * A connection whose peer sends no hello within this many milliseconds is closed.
   * @default 1000
   */
  helloTimeoutMs?: number
  /**
   * The most bytes queued to send to one peer before its connection is closed as one that does
   * not read (with a warning that names it). Over NATS: the most bytes sent while the client is
   * disconnected from every server (the client holds them until it reconnects); past it the
   * node's connections close, and what is sent to other nodes fails fast until it reconnects.
   * @default 67108864 (64 MiB)
   */
  maxQueuedBytes?: number
  /** Error classes that arrive from other nodes as themselves (`instanceof` works). */
  errorClasses?: readonly ErrorClass[]

  // What one frame from a peer may make this node build, and what its errors tell peers.
  /**
   * The most objects one frame from a peer may build, weighted by kind (an array or object 1, a
   * `Map`, `Set`, ref or `RegExp` 4, an error 8). A frame with more is refused before anything of
   * it is built, and closes its connection (the refusal is logged, naming the peer); a value to
   * send with more fails its own send with an `EncodeError`.
   * @default 524288
   */
  maxDecodedObjects?: number
  /**
   * The most errors one frame from a peer may hold (each of a `cause` chain counts); more is
   * refused as {@link NodeOptions.maxDecodedObjects} is.
   * @default 1024
   */
  maxDecodedErrors?: number
  /**
   * Whether errors sent to other nodes (error replies, failures of calls and streams, exit and
   * terminated reasons) carry their stacks, which name this node's files: for development. Without,
   * they carry their name, message, `cause` chain and properties.
   * @default false
   */
  errorStacks?: boolean
}

/** Options of `start`: a node's options, and the cluster registry it hosts or joins. */
export interface ClusterOptions extends NodeOptions {
  /**
   * The cluster registry, which maps the name of every named actor of the cluster to its ref, so
   * that `findActor(name)` and `waitForActor(name)` find actors on any node (a name is unique in
   * the cluster: a second actor that claims a taken name is refused, and the refusal is logged).
   *
   * - `true`: this node is the root node and hosts the registry (an actor named `registry`); with
   *   no `node` option it is `root@127.0.0.1:1616`.
   * - `'host:port'` or `'name@host:port'`: join the registry of the root node listening there (the
   *   registry is reached through that node's own port). When it names this very node, this node
   *   hosts the registry, so every node of a cluster can be given the same address.
   *
   * A node that joins registers all its names, present and future; when its registry is lost (the
   * root node went down or restarted) it joins again, with the backoff of `reconnectMinMs` and
   * `reconnectMaxMs`, and registers them again.
   * @default no registry: names are found on this node only
   */
  registry?: string | true
}
