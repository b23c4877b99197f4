import { randomUUID } from 'node:crypto'
import { InvalidOptionError } from '../core/errors.ts'
import type { PeerInfo } from '../transport/transport.ts'
import { FrameTooLargeError } from '../wire/errors.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/frames.ts'
import type { NodeEndpoint } from './node/address.ts'
import type { NodeConnection, NodeTransport } from './node/remote-node.ts'

type Adopt = (connection: NodeConnection) => void

class InProcessConnection implements NodeConnection {
  other!: InProcessConnection
  private handler: ((body: Uint8Array) => void) | undefined
  private readonly early: Uint8Array[] = []
  private isClosed = false
  private closedWith: ((error: Error | undefined) => void) | undefined
  private readonly whenClosed = new Promise<Error | undefined>((resolve) => {
    this.closedWith = resolve
  })

  readonly peer: PeerInfo

  constructor(
    node: string,
    incarnation: string,
    readonly maxFrameBytes: number,
  ) {
    this.peer = { node, incarnation }
  }

  send(body: Uint8Array): void {
    if (this.isClosed) return
    // A copy, delivered on a later microtask, as bytes that crossed a socket would be.
    const copy = Uint8Array.from(body)
    queueMicrotask(() => this.other.arrive(copy))
  }

  onFrame(handler: (body: Uint8Array) => void): void {
    this.handler = handler
    for (const body of this.early.splice(0)) handler(body)
  }

  close(error?: Error): void {
    if (this.isClosed) return
    this.isClosed = true
    this.closedWith?.(error)
    queueMicrotask(() => this.other.close())
  }

  closed(): Promise<Error | undefined> {
    return this.whenClosed
  }

  get open(): boolean {
    return !this.isClosed
  }

  /** Set while the network holds this connection's frames back, as a stopped process would. */
  frozen = false

  private arrive(body: Uint8Array): void {
    if (this.isClosed || this.frozen || this.other.frozen) return
    if (body.length > this.maxFrameBytes) {
      // As a socket's frame decoder does: the connection that carried it closes.
      this.close(new FrameTooLargeError(body.length, this.maxFrameBytes))
      return
    }
    if (this.handler === undefined) this.early.push(body)
    else this.handler(body)
  }
}

/** Options of {@link InProcessNetwork}. */
export interface InProcessNetworkOptions {
  /**
   * The largest frame body a connection of the network carries, as a transport's `maxFrameBytes`.
   * @default 1048576 (1 MiB)
   */
  maxFrameBytes?: number
}

/**
 * Nodes of one process connected without sockets, for tests of what crosses nodes: frames are
 * copied and delivered in order on later microtasks, a frame over `maxFrameBytes` closes its
 * connection as over a socket, and `partition` cuts a node off as a crash would.
 */
export class InProcessNetwork {
  private readonly maxFrameBytes: number

  constructor(options: InProcessNetworkOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    if (!Number.isSafeInteger(max) || max < 1)
      throw new InvalidOptionError('maxFrameBytes', `expected a positive integer, got ${String(max)}`)
    this.maxFrameBytes = max
  }

  private readonly nodes = new Map<
    string,
    { incarnation: string; adopt: Adopt; connections: Set<InProcessConnection> }
  >()
  private readonly cut = new Set<string>()

  /** The transport of one node; `adopt` receives the connections other nodes open to it. */
  join(node: string, adopt: Adopt): NodeTransport & { incarnation: string } {
    const incarnation = randomUUID()
    const entry = { incarnation, adopt, connections: new Set<InProcessConnection>() }
    this.nodes.set(node, entry)
    return {
      incarnation,
      connect: async (_endpoint: NodeEndpoint, target: string) => {
        const other = this.nodes.get(target)
        if (other === undefined) throw new Error(`connection refused: no node ${target}`)
        if (this.cut.has(target) || this.cut.has(node)) throw new Error(`${target} is unreachable`)
        const mine = new InProcessConnection(target, other.incarnation, this.maxFrameBytes)
        const theirs = new InProcessConnection(node, incarnation, this.maxFrameBytes)
        mine.other = theirs
        theirs.other = mine
        entry.connections.add(mine)
        other.connections.add(theirs)
        // The other node takes the connection a turn later, as its handshake ends: two nodes may
        // connect to each other at once, as over sockets.
        await Promise.resolve()
        other.adopt(theirs)
        return mine
      },
      close: async () => {
        this.partition(node)
        this.nodes.delete(node)
      },
    }
  }

  /** Cuts `node` off, as if it had crashed: its connections close and no new one opens until `heal`. */
  partition(node: string): void {
    this.cut.add(node)
    const entry = this.nodes.get(node)
    if (entry === undefined) return
    for (const connection of entry.connections) connection.close(new Error(`${node} is unreachable`))
    entry.connections.clear()
  }

  /**
   * Freezes `node` as SIGSTOP would: its connections stay open but nothing goes in or out, so
   * only the heartbeat can tell that it is gone.
   */
  freeze(node: string): void {
    for (const connection of this.nodes.get(node)?.connections ?? []) connection.frozen = true
  }

  /** The connections `node` opened or accepted, open or closed since (for tests). */
  connectionsOf(node: string): readonly (NodeConnection & { readonly open: boolean })[] {
    return [...(this.nodes.get(node)?.connections ?? [])]
  }

  /** Lets `node` be reached again. */
  heal(node: string): void {
    this.cut.delete(node)
  }
}
