import { type ActorSystem, type NodeOptions, start } from 'troupe'
import type { InProcessNetwork } from 'troupe/testkit'

/** A node of an in-process network, with a fast heartbeat so that lost nodes are seen quickly. */
export function startInProcessNode(
  network: InProcessNetwork,
  name: string,
  options: NodeOptions = {},
): Promise<ActorSystem> {
  return start({
    node: `${name}@127.0.0.1:1`,
    network,
    logLevel: 'silent',
    heartbeatIntervalMs: 20,
    heartbeatTimeoutMs: 200,
    ...options,
  })
}
