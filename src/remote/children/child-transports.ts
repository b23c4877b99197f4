import { ExtensionKey } from '../../core/extensions.ts'
import type { ChildTransport } from '../../transport/transport.ts'

/** Where a child node can run: a transport for each place. */
export interface ChildTransports {
  readonly thread: ChildTransport
  readonly process: ChildTransport
}

/** The child transports of a system, given by the layer that starts it. */
export const CHILD_TRANSPORTS = new ExtensionKey<ChildTransports>(
  'child transports',
  "start it with start() from 'troupe'",
)
