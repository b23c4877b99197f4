import { pino } from 'pino'
import { InvalidOptionError } from '../../core/errors.ts'
import { DEFAULT_MAX_FRAME_BYTES } from '../../wire/frames.ts'
import { ConnectError } from '../errors.ts'
import type { Connection, Transport, TransportSettings } from '../transport.ts'
import { InProcessConnection } from './in-process-connection.ts'

/** Options of {@link InProcessNetwork}. */
export interface InProcessNetworkOptions {
  /**
   * The largest frame body a connection of the network carries, as a transport's `maxFrameBytes`.
   * @default 1048576 (1 MiB)
   */
  maxFrameBytes?: number
}

interface Member {
  readonly incarnation: string
  readonly connections: Set<InProcessConnection>
  readonly accept: (connection: Connection) => void
}

const silent = pino({ level: 'silent' })

/**
 * Nodes of one process connected without sockets, for tests of what crosses nodes: frames are
 * copied and delivered in order on later microtasks, a frame over `maxFrameBytes` closes its
 * connection as over a socket, and `partition` cuts a node off as a crash would. Each node that
 * starts with it (`start({ node, network })`) gets a transport of the network.
 */
export class InProcessNetwork {
  private readonly maxFrameBytes: number
  private readonly members = new Map<string, Member>()
  private readonly cut = new Set<string>()

  constructor(options: InProcessNetworkOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    if (!Number.isSafeInteger(max) || max < 1)
      throw new InvalidOptionError('maxFrameBytes', `expected a positive integer, got ${String(max)}`)
    this.maxFrameBytes = max
  }

  /**
   * The transport of one node of the network, which finds the others by name and listens on no
   * port: what `start({ network })` opens.
   * @internal
   */
  readonly open = async (settings: TransportSettings): Promise<Transport> => {
    const node = settings.node
    const held: Connection[] = []
    let handler: ((connection: Connection) => void) | undefined
    const member: Member = {
      incarnation: settings.incarnation,
      connections: new Set(),
      accept: (connection) => (handler === undefined ? held.push(connection) : handler(connection)),
    }
    this.members.set(node, member)
    return {
      name: 'in-process',
      listening: undefined,
      onConnection(given) {
        handler = given
        for (const connection of held.splice(0)) given(connection)
      },
      connect: (_endpoint, target) => this.connect(node, member, target),
      close: async () => {
        this.partition(node)
        this.members.delete(node)
      },
    }
  }

  private async connect(node: string, member: Member, target: string): Promise<Connection> {
    const other = this.members.get(target)
    if (other === undefined)
      throw new ConnectError(target, undefined, `connection refused: no node ${target}`)
    if (this.cut.has(target) || this.cut.has(node))
      throw new ConnectError(target, undefined, `${target} is unreachable`)
    const common = { maxFrameBytes: this.maxFrameBytes, closeTimeoutMs: 0, logger: silent }
    const mine = new InProcessConnection({
      ...common,
      local: { node, incarnation: member.incarnation },
      peer: { node: target, incarnation: other.incarnation },
      remoteAddress: target,
    })
    const theirs = new InProcessConnection({
      ...common,
      local: { node: target, incarnation: other.incarnation },
      peer: { node, incarnation: member.incarnation },
      remoteAddress: node,
    })
    mine.other = theirs
    theirs.other = mine
    member.connections.add(mine)
    other.connections.add(theirs)
    // The other node takes the connection a turn later, as its handshake ends: two nodes may
    // connect to each other at once, as over sockets.
    await Promise.resolve()
    other.accept(theirs)
    return mine
  }

  /** Cuts `node` off, as if it had crashed: its connections close and no new one opens until `heal`. */
  partition(node: string): void {
    this.cut.add(node)
    const member = this.members.get(node)
    if (member === undefined) return
    for (const connection of member.connections) connection.close(new Error(`${node} is unreachable`))
    member.connections.clear()
  }

  /**
   * Freezes `node` as SIGSTOP would: its connections stay open but nothing goes in or out, so
   * only the heartbeat can tell that it is gone.
   */
  freeze(node: string): void {
    for (const connection of this.members.get(node)?.connections ?? []) connection.frozen = true
  }

  /**
   * The connections `node` opened or accepted, open or closed since (for Troupe's own tests).
   * @internal
   */
  connectionsOf(node: string): readonly (Connection & { readonly open: boolean })[] {
    return [...(this.members.get(node)?.connections ?? [])]
  }

  /** Lets `node` be reached again. */
  heal(node: string): void {
    this.cut.delete(node)
  }
}
