import type { ActorSystem } from '../core/system.ts'
import type { ChildTransports } from '../remote/children/child-transports.ts'
import type { LivenessOptions, RemoteNode } from '../remote/node/remote-node.ts'
import type { InProcessNetwork } from '../transport/in-process/index.ts'
import type { NatsOptions } from '../transport/nats/index.ts'
import {
  followChildProcessesOfThreads,
  killChildProcessesOfThread,
  processChildren,
} from '../transport/process/index.ts'
import { openTcpTransport, type TlsOptions } from '../transport/tcp/index.ts'
import { threadChildren } from '../transport/thread/index.ts'
import type { ChildTransport, Transport, TransportSettings } from '../transport/transport.ts'

/** What a node gets from the transport it starts on. */
export interface NodeTransport {
  readonly transport: Transport
  /**
   * Wires what else the transport gives the node once its node-to-node layer has the transport
   * (over NATS: the cluster's names and members, and services).
   */
  joined?(system: ActorSystem, remote: RemoteNode, liveness: LivenessOptions): Promise<void>
}

/** How one transport plugs into `start()`: how its option's value opens it, and how its nodes are named. */
export interface TransportRegistration<Value> {
  /** Opens the transport of one node from the value of its option. */
  open(value: Value, settings: TransportSettings): Promise<NodeTransport>
  /**
   * Its nodes go by plain names (`app`, no `@host:port`), and a node given no name gets a unique
   * `node-<random>`. The in-process network finds nodes by name too, but its nodes are named like
   * TCP ones, as the tests that use it stand in for TCP clusters.
   */
  readonly plainNames: boolean
}

const registration = <Value>(entry: TransportRegistration<Value>): TransportRegistration<Value> => entry

/**
 * The transports a node can start on, each under the option that chooses it; a node given none of
 * them starts on TCP. A transport plugs in here with one entry (its option, how that option's
 * value opens it, how its nodes are named) and its own folder under src/transport/: the option
 * appears in `start()`'s options with the documentation written here.
 */
export const transportChoices = {
  /** Connects the node to other nodes of this process only, without sockets (for tests). */
  network: registration({
    plainNames: false,
    open: async (network: InProcessNetwork, settings) => ({ transport: await network.open(settings) }),
  }),
  /**
   * Connects the node to the other nodes of a NATS cluster, found by name: the node subscribes to
   * its inbox subject under the cluster's prefix and listens on no port, so its name needs no
   * `@host:port` (`start({ node: 'app', nats: 'nats://127.0.0.1:4222' })`; with no name it gets a
   * unique `node-<random>`). Nodes prove the cluster's cookie to each other as over TCP; a client
   * of the same server without it cannot talk to them. The node is a member of the cluster (its
   * names are found from every node, `system.members()` lists the others) and serves and requests
   * services (`system.service`, `system.request`). Give the servers' URLs, or {@link NatsOptions}
   * (prefix, credentials, TLS, ping interval, bucket replicas). Child nodes of a NATS node reach
   * their parent over their link to it, and are not on NATS themselves.
   */
  nats: registration({
    plainNames: true,
    async open(nats: NatsOptions | string | readonly string[], settings) {
      // Loaded only by a node on NATS: no other node (nor child, nor CLI run) loads the NATS client.
      const [{ openNatsTransport }, { joinNatsNode }] = await Promise.all([
        import('../transport/nats/index.ts'),
        import('./nats-node.ts'),
      ])
      const transport = await openNatsTransport({ ...settings, nats })
      return {
        transport,
        joined: (system, remote, liveness) => joinNatsNode(system, remote, transport, nats, liveness),
      }
    },
  }),
}

/** The options that choose a node's transport: one of {@link transportChoices}, at most. */
export type TransportChoice = {
  [K in keyof typeof transportChoices]?: Parameters<(typeof transportChoices)[K]['open']>[0]
}

/** The name of the transport `options` choose: one of {@link transportChoices}, else `'tcp'`. */
export function chosenTransport(options: TransportChoice): keyof typeof transportChoices | 'tcp' {
  for (const name of Object.keys(transportChoices) as (keyof typeof transportChoices)[])
    if (options[name] !== undefined) return name
  return 'tcp'
}

/**
 * Whether the transport `options` choose finds nodes by name and listens on no port (every choice
 * but TCP): other nodes are reached with no endpoint.
 */
export function findsNodesByName(options: TransportChoice): boolean {
  return chosenTransport(options) !== 'tcp'
}

/** Whether a node on the transport `options` choose may have a plain name (see `plainNames`). */
export function takesPlainNames(options: TransportChoice): boolean {
  const name = chosenTransport(options)
  return name !== 'tcp' && transportChoices[name].plainNames
}

/** Opens the transport `options` choose; TCP (TLS when given) unless they choose another. */
export async function openChosenTransport(
  options: TransportChoice & { tls?: TlsOptions },
  settings: TransportSettings,
): Promise<NodeTransport> {
  const name = chosenTransport(options)
  if (name !== 'tcp') {
    const entry = transportChoices[name] as TransportRegistration<unknown>
    return await entry.open(options[name], settings)
  }
  const tls = options.tls
  return { transport: await openTcpTransport(tls === undefined ? settings : { ...settings, tls }) }
}

/**
 * A thread's child processes are followed from the parent: a thread that is terminated (stuck past
 * its grace) cannot end the child processes it started.
 */
const threadsWithTheirProcesses: ChildTransport = {
  ...threadChildren,
  async spawn(options) {
    followChildProcessesOfThreads()
    const child = await threadChildren.spawn(options)
    void child.exited.then(() => killChildProcessesOfThread(child.id))
    return child
  },
}

/** Where child nodes run (`in: 'thread' | 'process'`), and how a child reaches its parent. */
export const childTransports: ChildTransports = {
  thread: threadsWithTheirProcesses,
  process: processChildren,
}
