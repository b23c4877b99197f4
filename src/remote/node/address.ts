import { InvalidOptionError } from '../../core/errors.ts'

/** The parts of an actor address `troupe://<node>/<path>`. */
export interface ActorAddress {
  node: string
  path: string
}

const PREFIX = 'troupe://'

/** Splits `troupe://app@127.0.0.1:9700/user/a` into its node and path; throws for anything else. */
export function parseAddress(address: string): ActorAddress {
  if (typeof address !== 'string' || !address.startsWith(PREFIX)) {
    throw new InvalidOptionError('address', `expected troupe://<node>/<path>, got ${JSON.stringify(address)}`)
  }
  const slash = address.indexOf('/', PREFIX.length)
  if (slash < 0 || slash === PREFIX.length) {
    throw new InvalidOptionError('address', `expected troupe://<node>/<path>, got ${JSON.stringify(address)}`)
  }
  return { node: address.slice(PREFIX.length, slash), path: address.slice(slash) }
}

/** Where a node listens, from its name `name@host:port`. */
export interface NodeEndpoint {
  name: string
  host: string
  port: number
}

/** Parses a node name `name@host:port`; `undefined` when it names no endpoint (a local-only node). */
export function endpointOf(node: string): NodeEndpoint | undefined {
  const match = /^([^@/\s]+)@([^:/\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(node)
  if (match === null) return undefined
  const port = Number(match[3])
  if (port > 65535) return undefined
  return { name: match[1]!, host: match[2]!.replace(/^\[|\]$/g, ''), port }
}
