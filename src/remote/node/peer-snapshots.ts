import { ActorStoppedError } from '../../core/errors.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope } from '../../wire/envelope.ts'
import type { PendingRequests } from '../portal/pending-requests.ts'
import type { Trust } from './trust.ts'

/**
 * Asks the peer for the snapshot of its actor at `path` (`system.snapshot` of a remote ref): its
 * node answers the `snapshot` with a `reply` or an `error`; a lost peer fails it with the rest.
 */
export function requestSnapshot(
  pending: PendingRequests,
  send: (envelope: Envelope) => void,
  path: string,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const id = pending.add({ answered: resolve, refused: reject, failed: reject })
    send({ kind: 'snapshot', target: path, id })
  })
}

/**
 * Answers the peer `from`'s `snapshot` of this node's actor at `path`: its snapshot, or why there
 * is none. An untrusted node refuses it (but to its parent): an actor's state is its own business.
 */
export function serveSnapshot(
  host: { readonly system: ActorSystem; readonly trust: Trust },
  from: string,
  send: (envelope: Envelope) => void,
  path: string,
  id: number,
): void {
  const refusal = host.trust.refusal(from, 'snapshot', path)
  if (refusal !== undefined) {
    send({ kind: 'error', id, error: refusal })
    return
  }
  const target = host.system.actorAt(path)
  const snapshot =
    target === undefined
      ? Promise.reject(new ActorStoppedError(`troupe://${host.system.node}${path}`))
      : host.system.snapshot(target)
  snapshot.then(
    (message) => send({ kind: 'reply', id, message }),
    (error: unknown) => send({ kind: 'error', id, error }),
  )
}
