import { ExtensionKey } from '../../core/extensions.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { CodecOptions } from '../../wire/codec.ts'
import { createConnectionCodec } from '../../wire/connection-codec.ts'
import type { ErrorClass } from '../../wire/wire-error.ts'
import { NotExposedError, RemoteActorError } from '../portal/remote-actor-error.ts'
import {
  ContextClosedError,
  ContextMisuseError,
  NodeDownError,
  RemoteSpawnError,
  UntrustedRequestError,
} from './errors.ts'
import { type LivenessOptions, RemoteNode } from './remote-node.ts'
import type { TrustOptions } from './trust.ts'

/** What a connection's codec decodes at most, and whether it sends the stacks of errors (see `CodecOptions`). */
export type DecodeBudgetOptions = Pick<CodecOptions, 'maxDecodedObjects' | 'maxDecodedErrors' | 'errorStacks'>

/** What a system's node-to-node layer is made with: liveness settings and the options of its codecs. */
export interface RemoteNodeSetup extends LivenessOptions, TrustOptions, DecodeBudgetOptions {
  /** Error classes that arrive from other nodes as themselves (`instanceof` works). */
  errorClasses?: readonly ErrorClass[]
}

/** The node-to-node layer of a system, once it has one. */
export const REMOTE_NODE = new ExtensionKey<RemoteNode>(
  'remote node',
  "start it with start({ node: 'name@host:port' })",
)

/** The settings of the node-to-node layer a local system gets if it starts child nodes. */
export const REMOTE_NODE_SETUP = new ExtensionKey<RemoteNodeSetup>('node-to-node settings')

/** The node-to-node layer of `system`, if it has one. */
export function remoteNodeOf(system: ActorSystem): RemoteNode | undefined {
  return system.extensions.get(REMOTE_NODE)
}

/**
 * The node-to-node layer of `system`, made now if it has none (with `given`, else the settings the
 * system was started with), without a transport: connections reach it by `remote.adopt` (child
 * nodes), or the caller sets `remote.transport`.
 */
export function openRemoteNode(system: ActorSystem, given?: RemoteNodeSetup): RemoteNode {
  const existing = system.extensions.get(REMOTE_NODE)
  if (existing !== undefined) return existing
  const setup = given ?? system.extensions.get(REMOTE_NODE_SETUP) ?? {}
  const budget = decodeBudgetOf(setup)
  const remote = new RemoteNode(
    system,
    {
      heartbeatIntervalMs: setup.heartbeatIntervalMs ?? 1000,
      heartbeatTimeoutMs: setup.heartbeatTimeoutMs ?? 3000,
      reconnectMinMs: setup.reconnectMinMs ?? 100,
      reconnectMaxMs: setup.reconnectMaxMs ?? 5000,
    },
    setup.untrusted,
  )
  system.extensions.set(REMOTE_NODE, remote)
  remote.codecSettings = budget
  const codecOptions: CodecOptions = {
    resolveRef: (address: string) => remote.resolve(address),
    ...budget,
    errorClasses: [
      NodeDownError,
      RemoteSpawnError,
      RemoteActorError,
      NotExposedError,
      UntrustedRequestError,
      ContextClosedError,
      ContextMisuseError,
      ...(setup.errorClasses ?? []),
    ],
  }
  remote.codecFor = () => {
    const { encoder, decoder } = createConnectionCodec(codecOptions)
    return {
      encode: (e) => encoder.encode(e),
      decode: (b) => decoder.decodeEnvelopes(b),
      reset: () => encoder.reset(),
    }
  }
  return remote
}

/** The codec options of `setup`, checked now: a bad one is an `InvalidOptionError` of `start`, not of a later connection. */
function decodeBudgetOf(setup: DecodeBudgetOptions): DecodeBudgetOptions {
  const budget: DecodeBudgetOptions = {
    ...(setup.maxDecodedObjects === undefined ? {} : { maxDecodedObjects: setup.maxDecodedObjects }),
    ...(setup.maxDecodedErrors === undefined ? {} : { maxDecodedErrors: setup.maxDecodedErrors }),
    ...(setup.errorStacks === undefined ? {} : { errorStacks: setup.errorStacks }),
  }
  createConnectionCodec({ resolveRef: refuseRef, ...budget })
  return budget
}

function refuseRef(address: string): never {
  throw new Error(`no refs to resolve here: ${address}`)
}
