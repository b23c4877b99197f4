import { type ActorSystem, type NodeOptions, start } from 'troupe'
import { freePort, InProcessNetwork } from 'troupe/testkit'
import { type NatsServer, natsServerVersion, startNatsServer } from './nats-server.ts'

/**
 * The transports the remote suite runs over, each as a setup that starts connected nodes in this
 * process: the in-process network, TCP on 127.0.0.1, and NATS on one real `nats-server`. A suite
 * calls `prepare` in `beforeAll`, `release` in `afterAll` (the NATS server lives as long as its
 * suite), and `stopNodes` in `afterEach`: every node a test starts is shut down even when it fails.
 */
export interface TransportSetup {
  readonly name: 'in-process' | 'tcp' | 'nats'
  /** Why this setup cannot run on this machine (no `nats-server`), else `undefined`. */
  readonly skip: string | undefined
  prepare(): Promise<void>
  release(): Promise<void>
  /** Starts `count` nodes (`a`, `b`, …) that can reach each other, with a fast heartbeat. */
  startNodes(count: number, options?: NodeOptions): Promise<ActorSystem[]>
  /** Starts one more node named `name` on the same transport. */
  startNode(name: string, options?: NodeOptions): Promise<ActorSystem>
  /** Shuts down every node this setup started. */
  stopNodes(): Promise<void>
}

const cookie = 'transport-suite-cookie'

/** What every node of the suite starts with: quiet, and quick to see a peer gone. */
const base: NodeOptions = {
  logLevel: 'silent',
  cookie,
  heartbeatIntervalMs: 50,
  heartbeatTimeoutMs: 1_000,
}

function setup(
  name: TransportSetup['name'],
  skip: string | undefined,
  open: (nodeName: string, options: NodeOptions) => Promise<ActorSystem>,
  hooks: { prepare?: () => Promise<void>; release?: () => Promise<void>; stopped?: () => void } = {},
): TransportSetup {
  const started: ActorSystem[] = []
  const startNode = async (nodeName: string, options: NodeOptions = {}) => {
    const system = await open(nodeName, { ...base, ...options })
    started.push(system)
    return system
  }
  return {
    name,
    skip,
    prepare: hooks.prepare ?? (async () => {}),
    release: hooks.release ?? (async () => {}),
    startNode,
    async startNodes(count, options) {
      const systems: ActorSystem[] = []
      for (let i = 0; i < count; i++) systems.push(await startNode(String.fromCharCode(97 + i), options))
      return systems
    },
    async stopNodes() {
      await Promise.allSettled(started.splice(0).map((system) => system.shutdown()))
      hooks.stopped?.()
    },
  }
}

function inProcess(): TransportSetup {
  let network = new InProcessNetwork()
  return setup(
    'in-process',
    undefined,
    (node, options) => start({ ...options, node: `${node}@127.0.0.1:1`, network }),
    {
      // A node that shuts down stays cut off in its network: each test gets a network of its own.
      stopped: () => {
        network = new InProcessNetwork()
      },
    },
  )
}

function tcp(): TransportSetup {
  return setup('tcp', undefined, async (node, options) =>
    start({ ...options, node: `${node}@127.0.0.1:${await freePort()}` }),
  )
}

function nats(): TransportSetup {
  let server: NatsServer | undefined
  // Each suite run gets a cluster prefix of its own, so runs never see each other's nodes.
  const prefix = `suite${process.pid}`
  return setup(
    'nats',
    natsServerVersion() === undefined ? 'nats-server is not installed' : undefined,
    (node, options) => {
      if (server === undefined) throw new Error('the NATS setup was not prepared (call prepare in beforeAll)')
      return start({ ...options, node, nats: { servers: server.url, prefix } })
    },
    {
      prepare: async () => {
        server = await startNatsServer()
      },
      release: async () => {
        await server?.stop()
        server = undefined
      },
    },
  )
}

/** One setup of each transport; each call makes fresh ones (a suite file owns its setups). */
export function transportSetups(): TransportSetup[] {
  return [inProcess(), tcp(), nats()]
}
