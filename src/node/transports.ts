import type { ChildTransports } from '../remote/children/child-transports.ts'
import type { InProcessNetwork } from '../transport/in-process/index.ts'
import { type NatsOptions, openNatsTransport } from '../transport/nats/index.ts'
import {
  followChildProcessesOfThreads,
  killChildProcessesOfThread,
  processChildren,
} from '../transport/process/index.ts'
import { openTcpTransport, type TlsOptions } from '../transport/tcp/index.ts'
import { threadChildren } from '../transport/thread/index.ts'
import type { ChildTransport, TransportFactory } from '../transport/transport.ts'

/**
 * The transports a node can start on, each under the option that chooses it; a node given none of
 * them starts on TCP. A transport plugs in here with one line (its option, and how that option's
 * value makes its factory) and its own folder under src/transport/: the option appears in
 * `start()`'s options with the documentation written here.
 */
export const transportChoices = {
  /** Connects the node to other nodes of this process only, without sockets (for tests). */
  network: (network: InProcessNetwork): TransportFactory => network.open,
  /**
   * Connects the node to the other nodes of a NATS cluster, found by name: the node subscribes to
   * its inbox subject under the cluster's prefix and listens on no port, so its name needs no
   * `@host:port` (`start({ node: 'app', nats: 'nats://127.0.0.1:4222' })`; with no name it gets a
   * unique `node-<random>`). Nodes prove the cluster's cookie to each other as over TCP; a client
   * of the same server without it cannot talk to them. Give the servers' URLs, or
   * {@link NatsOptions} (prefix, credentials, TLS, ping interval). Child nodes of a NATS node reach
   * their parent over their link to it, and are not on NATS themselves.
   */
  nats:
    (nats: NatsOptions | string | readonly string[]): TransportFactory =>
    (settings) =>
      openNatsTransport({ ...settings, nats }),
}

/** The options that choose a node's transport: one of {@link transportChoices}, at most. */
export type TransportChoice = {
  [K in keyof typeof transportChoices]?: Parameters<(typeof transportChoices)[K]>[0]
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

/**
 * The choices whose nodes go by plain names (`app`, no `@host:port`), where a node given no name
 * gets a unique `node-<random>`. The in-process network finds nodes by name too, but its nodes are
 * named like TCP ones, as the tests that use it stand in for TCP clusters.
 */
const plainNamed: ReadonlySet<keyof typeof transportChoices> = new Set(['nats'])

/** Whether a node on the transport `options` choose may have a plain name (see `plainNamed`). */
export function takesPlainNames(options: TransportChoice): boolean {
  const name = chosenTransport(options)
  return name !== 'tcp' && plainNamed.has(name)
}

/** The factory of the transport `options` choose; TCP (TLS when given) unless they choose another. */
export function transportFactoryFor(options: TransportChoice & { tls?: TlsOptions }): TransportFactory {
  const name = chosenTransport(options)
  if (name !== 'tcp') {
    const choose = transportChoices[name] as (choice: unknown) => TransportFactory
    return choose(options[name])
  }
  const tls = options.tls
  return (settings) => openTcpTransport(tls === undefined ? settings : { ...settings, tls })
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
