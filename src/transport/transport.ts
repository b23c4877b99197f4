import type { ChildProcess } from 'node:child_process'
import type { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { StrangerLimits } from './stranger-limits.ts'
import type { TsxLocation } from './tsx-location.ts'

/** Who is at the other end of a connection, as it proved in the handshake. */
export interface PeerInfo {
  /** The node's name (`app@127.0.0.1:9700`). */
  readonly node: string
  /**
   * Identifies one run of that node: a node that restarts under the same name comes back with
   * another incarnation, so the remote layer can tell a restarted peer from the old one.
   */
  readonly incarnation: string
}

/** Receives the bodies of incoming frames, one call per frame, in the order they were sent. */
export type FrameHandler = (body: Uint8Array) => void

/**
 * An authenticated connection to one peer that carries frame bodies both ways. It knows nothing of
 * envelopes or the codec. Every transport (tcp, thread, process, nats) gives the same interface.
 *
 * Incoming bodies reach the handler given to {@link Connection.onFrame}, a callback rather than an
 * async iterator: each body is handed over synchronously as its bytes are decoded, in order, with
 * no promise per frame (at a million frames a second a promise per frame is a large share of the
 * cost), and the remote layer only dispatches into mailboxes, which never block.
 *
 * @example
 * ```ts
 * const connection = await connectTcp({ port, node: 'a', incarnation, cookie })
 * connection.onFrame((body) => handle(unpack(body)))
 * connection.send(pack(envelope))
 * const error = await connection.closed() // undefined for a clean close
 * ```
 */
export interface Connection {
  /** The peer's node and incarnation, as proved in the handshake. */
  readonly peer: PeerInfo
  /** This node's name and incarnation, as sent in the handshake. */
  readonly local: PeerInfo
  /** The peer's address for logs and errors: `host:port`, or the socket path. */
  readonly remoteAddress: string
  /**
   * The largest frame body this end accepts, which is also the most it should send: the nodes of
   * one cluster share the setting (`maxFrameBytes`), so a body over it would be refused by the peer.
   */
  readonly maxFrameBytes: number
  /**
   * Queues a frame body. Bodies sent in the same turn of the event loop go out in one write. The
   * body is copied at once, so the caller may reuse its buffer. Never throws for a closed
   * connection: the body is dropped and {@link Connection.closed} reports the closure. A body larger
   * than the peer's `maxFrameBytes` makes the peer close the connection.
   */
  send(body: Uint8Array): void
  /**
   * Sets the handler of incoming frame bodies (replacing any earlier one). Frames that arrive
   * before a handler is set are held, and reading pauses, until one is. A handler that throws
   * closes the connection with the thrown error: throw a `ProtocolError` for a body that cannot
   * be decoded. A body may share memory with the bytes read from the socket: decode it (or copy
   * it) before the handler returns.
   */
  onFrame(handler: FrameHandler): void
  /**
   * The operating system's buffer is full and frames are queueing in memory: a sender that cares
   * should wait on {@link Connection.drained} before sending more.
   */
  readonly writableNeedDrain: boolean
  /** Resolves when the queued frames have been handed to the operating system, or the connection closed. */
  drained(): Promise<void>
  /**
   * Closes the connection. Without an error, the frames already sent are flushed first and the
   * peer sees a clean close; with one, the connection is cut at once, queued frames are dropped
   * and {@link Connection.closed} resolves with `error`. Either way the frame handler is not called
   * again. Closing twice does nothing.
   */
  close(error?: Error): void
  /**
   * Resolves once the connection is closed: with `undefined` for a clean close by either side,
   * or with the error that closed it (a `ProtocolError` from the peer's bytes, a
   * `ConnectionLostError`, the error given to `close`). Never rejects.
   */
  closed(): Promise<Error | undefined>
  /** Closes cleanly and waits until closed, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/** Where a listener listens: a TCP host and port, or a Unix domain socket path. */
export type ListenerAddress = { readonly host: string; readonly port: number } | { readonly path: string }

/**
 * Accepts connections; each one is handed over only after it has passed the handshake.
 *
 * @example
 * ```ts
 * const listener = await listenTcp({ node: 'b', incarnation, cookie })
 * listener.onConnection((connection) => remote.adopt(connection))
 * console.log(listener.address) // { host: '127.0.0.1', port: 40123 }
 * ```
 */
export interface Listener {
  /** The bound address; with `port: 0` the port the system chose. */
  readonly address: ListenerAddress
  /**
   * Sets the handler of new, authenticated connections (replacing any earlier one). Connections
   * that complete their handshake before a handler is set are held until one is.
   */
  onConnection(handler: (connection: Connection) => void): void
  /**
   * Stops accepting, cuts the handshakes in progress and closes every connection this listener
   * accepted; resolves when all are closed. Closing twice gives the same promise.
   */
  close(): Promise<void>
  /** {@link Listener.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * What every transport needs to know to authenticate and bound its connections. A listener also
 * takes the {@link StrangerLimits} (handshakes in progress, failed proofs, refusal logs).
 */
export interface TransportOptions extends StrangerLimits {
  /** This node's name, sent in the handshake: 1 to 255 bytes of UTF-8, no control characters. */
  node: string
  /** This run of the node (a random id made at start): 1 to 255 bytes of UTF-8, no control characters. */
  incarnation: string
  /**
   * The secret shared by the nodes that may talk to each other, at least 16 characters
   * (`MIN_COOKIE_LENGTH`). It proves itself by an HMAC-SHA256 challenge-response and never
   * crosses the wire.
   */
  cookie: string
  /**
   * Largest frame body accepted from the peer; a header that claims more closes the connection.
   * @default 1048576 (1 MiB, `DEFAULT_MAX_FRAME_BYTES`)
   */
  maxFrameBytes?: number
  /**
   * Time allowed for the handshake, from the moment the connection is opened (for `connect`, from
   * the call, so it bounds the connection attempt too) to its end; past it the connection is closed.
   * A TLS listener gives the TLS handshake this long as well, before the cookie handshake starts.
   * @default 5000
   */
  handshakeTimeoutMs?: number
  /**
   * After a clean `close()`, how long to wait for the peer to close its side before cutting the
   * connection.
   * @default 2000
   */
  closeTimeoutMs?: number
  /** A pino logger for the transport's log lines (refused peers, protocol errors, lost connections). @default a silent logger */
  logger?: Logger

  // ---- frame authentication, the hello's deadline, the bound of what is queued ----

  /**
   * Seal every frame after the handshake with AES-256-GCM under per-direction keys derived from
   * the cookie and both handshake nonces, so that a relay on the path, which cannot forge the
   * cookie's proofs, cannot inject, alter, replay, reorder or drop frames either: any of these
   * closes the connection with a `ProtocolError` saying the frame failed authentication. Both
   * nodes must agree (else the handshake fails with `frame-auth-mismatch`). Without it, the
   * handshake still proves both nodes, but the frames that follow are plain.
   * @default true for a connection whose address is not loopback (127.0.0.0/8, ::1), unless over
   * TLS, which already authenticates every byte; false over loopback, a Unix socket or TLS
   */
  frameAuth?: boolean
  /**
   * A connection whose peer has not sent its hello within this many milliseconds is closed
   * (`timeout`), well before `handshakeTimeoutMs`: a silent socket holds nothing for long.
   * @default 1000
   */
  helloTimeoutMs?: number
  /**
   * The most bytes queued to send on one connection (the socket's buffer and the frame writer's)
   * before it is closed as a peer that does not read, with a warning that names it. Over NATS,
   * the bytes sent on all connections while the client is disconnected (see `OfflineQueue`).
   * @default 67108864 (64 MiB)
   */
  maxQueuedBytes?: number
}

/** Where a node that listens on a port is reached. */
export interface Endpoint {
  readonly host: string
  readonly port: number
}

/**
 * The one plug-in interface of a transport, as a node sees it (nats.js `core/src/transport.ts`):
 * it hands the node every authenticated connection a peer opens to it, opens connections to other
 * nodes, and closes. Each connection carries frame bodies and reports its end through `closed()`,
 * which resolves with the error and never rejects. `tcp` listens on a port; a link to a parent or
 * a child node (a thread, a process) is a transport with one fixed peer, which listens nowhere; the
 * in-process network joins the nodes of one process.
 *
 * @example
 * ```ts
 * const transport = await openTcpTransport({ node: 'b@127.0.0.1:9701', incarnation, cookie, listen: { host: '127.0.0.1', port: 9701 } })
 * transport.onConnection((connection) => remote.adopt(connection))
 * const connection = await transport.connect({ host: '127.0.0.1', port: 9700 }, 'a@127.0.0.1:9700')
 * ```
 */
export interface Transport {
  /** The transport's name: `'tcp'`, `'thread'`, `'process'`, `'in-process'`. */
  readonly name: string
  /** Where other nodes reach this one; `undefined` for a transport that does not listen. */
  readonly listening: Endpoint | undefined
  /**
   * Sets the handler of the authenticated connections peers open to this node (replacing any
   * earlier one). Connections that arrive before a handler is set are held until one is.
   */
  onConnection(handler: (connection: Connection) => void): void
  /**
   * Opens an authenticated connection to `node`, reached at `endpoint` (a transport that finds
   * nodes by name, or has one fixed peer, needs none); rejects with a `ConnectError` (refused, unreachable, timed out) or
   * a `HandshakeError` (wrong cookie, other version, handshake timeout).
   */
  connect(endpoint: Endpoint | undefined, node: string): Promise<Connection>
  /** Stops listening and closes every connection it opened or accepted; resolves once all are closed. */
  close(): Promise<void>
}

/** What a node gives the transport it starts on: who it is, how it proves it, and where it listens. */
export interface TransportSettings extends TransportOptions {
  /** Where to listen for other nodes; a transport that does not listen ignores it. */
  listen?: Endpoint
}

/** Opens the transport of one node: what the registration of transports maps each choice to. */
export type TransportFactory = (settings: TransportSettings) => Promise<Transport>

/** How a child node ended. */
export interface ChildExit {
  /** The exit code, `null` for a process ended by a signal. */
  readonly code: number | null
  /** The signal that ended a process, else `null`. */
  readonly signal: NodeJS.Signals | null
}

/** What a child node is started with, wherever it runs. */
export interface ChildSpawnOptions {
  /** The child's main module, which reads its boot and connects to its parent. */
  readonly entry: URL
  /** The parent node's name and incarnation, told to the child. */
  readonly node: string
  readonly incarnation: string
  /** The child's node name. */
  readonly childNode: string
  /** The tsx the child loads before its main, when it needs one. */
  readonly tsx?: TsxLocation
  /** What the child reads as it starts, before it connects (JSON-compatible). */
  readonly boot: unknown
  /** Data for the child's modules (structured clone). */
  readonly data: unknown
  /** The cookie of the parent's cluster: never on a command line. */
  readonly cookie: string | undefined
  /** How long `stop()` lets the child end by itself before it is terminated. */
  readonly graceMs: number
  readonly logger: Logger
}

/** A child node started and linked to its parent. */
export interface LinkedChild {
  /** The link, a transport with the child as its one fixed peer: `connect` gives the connection to it. */
  readonly link: Transport
  /** The process id of a child process, the thread id of a worker thread. */
  readonly id: number
  /** The underlying worker or child process. */
  readonly handle: Worker | ChildProcess
  /** Settles once the child has exited (never rejects). */
  readonly exited: Promise<ChildExit>
  /** Closes the link and waits for the child to exit, terminating it after the grace period. */
  stop(): Promise<void>
  /** Ends the child now and waits for its exit. */
  terminate(): Promise<void>
}

/** What a child node reads of its parent as it starts, and the link it then opens to it. */
export interface ParentSide {
  /** The boot its parent gave it, and the cookie of its parent's cluster. */
  boot(): { boot: unknown; cookie: string | undefined }
  /** Opens the link: a transport with the parent as its one fixed peer, and the data the parent gave. */
  connect(node: string): Promise<{ link: Transport; data: unknown }>
}

/** Starts child nodes in one kind of place (a worker thread, a child process), each linked to its parent. */
export interface ChildTransport {
  /** `'thread'`, `'process'`. */
  readonly name: string
  /** In the parent: starts a child and links it. */
  spawn(options: ChildSpawnOptions): Promise<LinkedChild>
  /** In the child: its side of the link. */
  readonly parent: ParentSide
}
