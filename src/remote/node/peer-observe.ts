import { type ObservedPage, type ObserveQuery, observeHere, observeQuery } from '../../core/observe.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { Envelope, ObserveEnvelope } from '../../wire/envelope.ts'
import type { PendingRequests } from '../portal/pending-requests.ts'
import type { Trust } from './trust.ts'

/**
 * Asks the peer for one page of the children of its actor at `query.parent` (`system.observe` of
 * another node): its node answers the `observe` with a `reply` or an `error`; a lost peer fails it
 * with the rest.
 */
export function requestObserve(
  pending: PendingRequests,
  send: (envelope: Envelope) => void,
  query: ObserveQuery,
): Promise<ObservedPage> {
  return new Promise((resolve, reject) => {
    const id = pending.add({
      answered: (page) => resolve(page as ObservedPage),
      refused: reject,
      failed: reject,
    })
    send({ kind: 'observe', id, parent: query.parent, offset: query.offset, limit: query.limit })
  })
}

/**
 * Answers the peer `from`'s `observe` of this node's actors: the page, read as it stands, or why
 * there is none (no such actor, a query out of bounds). An untrusted node refuses it (but to its
 * parent): which actors it runs and how busy they are is its own business, as their state is.
 */
export function serveObserve(
  host: { readonly system: ActorSystem; readonly trust: Trust },
  from: string,
  send: (envelope: Envelope) => void,
  envelope: ObserveEnvelope,
): void {
  const { id, parent, offset, limit } = envelope
  const refusal = host.trust.refusal(from, 'observe', parent)
  if (refusal !== undefined) {
    send({ kind: 'error', id, error: refusal })
    return
  }
  try {
    send({ kind: 'reply', id, message: observeHere(host.system, observeQuery({ parent, offset, limit })) })
  } catch (error) {
    send({ kind: 'error', id, error })
  }
}
