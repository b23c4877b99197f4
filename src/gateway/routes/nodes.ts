import type { FastifyInstance } from 'fastify'
import { type ActorSystem, listActors } from '../../index.ts'

/** A node as `GET /nodes` lists it. */
export interface GatewayNode {
  node: string
  /** Whether it is the gateway's own node. */
  self: boolean
  /** Its incarnation (its run), for a member of a NATS cluster or a node connected over TCP. */
  incarnation?: string
  /** Since when it is a member (ISO 8601), when the cluster says. */
  since?: string
}

/**
 * `GET /nodes`: the members of this node's cluster (`system.members()`: a NATS cluster's members,
 * or over TCP the nodes connected to this one), and the nodes the cluster registry names actors on
 * (which may not be connected yet).
 */
export function nodeRoutes(system: ActorSystem) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/nodes', async () => {
      const nodes = new Map<string, GatewayNode>()
      for (const member of system.members()) {
        nodes.set(member.node, {
          node: member.node,
          self: member.node === system.node,
          ...(member.incarnation === undefined ? {} : { incarnation: member.incarnation }),
          since: member.since.toISOString(),
        })
      }
      for (const actor of await listActors(system))
        if (!nodes.has(actor.node))
          nodes.set(actor.node, { node: actor.node, self: actor.node === system.node })
      return { nodes: [...nodes.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)) }
    })
  }
}
