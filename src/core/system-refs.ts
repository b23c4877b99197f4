import { Cell } from './cell/cell.ts'
import { InvalidOptionError } from './errors.ts'
import { type Ref, RefBase } from './ref.ts'

/** What {@link ActorSystem.actorCounters} reads of an actor. */
export interface ActorCounters {
  /** Messages (and signals) waiting in its mailbox. */
  queued: number
  /** Messages (and signals) it has taken from its mailbox so far, over all its incarnations. */
  handled: number
  /** How many times it was restarted. */
  restarts: number
}

/** What `ref` stands for (a portal stands for its actor); anything but a Troupe ref is refused. */
export function actorOf(ref: Ref): RefBase<unknown> {
  if (ref instanceof RefBase) return ref.unwrap() as RefBase<unknown>
  throw new InvalidOptionError('ref', `expected a Troupe ref, got ${String(ref)}`)
}

/** The cell of an actor of this node; throws `InvalidOptionError` for another node's. */
export function localCell(given: Ref): Cell {
  const ref = actorOf(given)
  if (ref instanceof Cell) return ref
  throw new InvalidOptionError('ref', `expected an actor of this node, got ${String(ref)}`)
}
