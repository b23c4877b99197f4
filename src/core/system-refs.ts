import { Cell, STOPPED } from './cell/cell.ts'
import { InvalidOptionError } from './errors.ts'
import type { Names } from './names.ts'
import { type LocalActorHandle, type Ref, RefBase } from './ref.ts'
import { Terminated } from './signals.ts'

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

/** The counters of a live actor, read as they stand; `undefined` once it stopped. */
export function countersOf(cell: Cell): ActorCounters | undefined {
  if (cell.status === STOPPED) return undefined
  const mailbox = cell.mailbox
  return {
    queued: mailbox === null ? 0 : mailbox.length,
    handled: mailbox === null ? 0 : mailbox.taken,
    restarts: cell.incarnation,
  }
}

/** The live actor at `path` under `guardian` (`system.actorAt`), if any. */
export function actorAtPath(guardian: Cell, names: Names, path: string): Ref | undefined {
  // A named actor is found by its name at once; others by walking the tree.
  const named = names.find(path.slice(path.lastIndexOf('/') + 1))
  if (named !== undefined && named.path === path) return named
  const segments = path.split('/')
  if (segments[0] !== '' || segments[1] !== guardian.name) return undefined
  let cell: Cell | undefined = guardian
  for (let i = 2; i < segments.length && cell !== undefined; i++) cell = cell.childNamed(segments[i]!)
  return cell === undefined || cell.status === STOPPED ? undefined : cell
}

/** Resolves with the actor's `Terminated` once it stops, on this node or another (`system.watch`). */
export function terminationOf(ref: RefBase<unknown>): Promise<Terminated> {
  if (ref instanceof Cell) return new Promise((resolve) => ref.onTerminated(resolve))
  return new Promise((resolve) => {
    const watcher: LocalActorHandle = {
      ref: undefined,
      terminated: (target, reason, error) => resolve(new Terminated(target, reason, error)),
      exited: () => {},
    }
    ref.addWatcher(watcher)
  })
}
