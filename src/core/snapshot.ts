import type { ActorDefinition } from './behavior.ts'
import type { Cell } from './cell/cell.ts'
import { ActorStoppedError, NoSnapshotError } from './errors.ts'

type Definition = ActorDefinition<unknown, unknown, unknown>

/**
 * A request for an actor's snapshot, queued in its mailbox as a signal is: the actor answers it
 * in its turn, between two messages, so that `snapshot(state)` never sees a half-handled state.
 */
export class SnapshotRequest {
  constructor(
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Runs the definition's `snapshot` on the state of the actor's turn, and answers with it. */
  answer(definition: Definition, state: unknown): void {
    try {
      this.resolve(definition.snapshot === undefined ? undefined : definition.snapshot(state))
    } catch (error) {
      this.reject(error)
    }
  }
}

/** The snapshot of a local actor: rejects with `NoSnapshotError` without one, `ActorStoppedError` once stopped. */
export function snapshotOf(cell: Cell): Promise<unknown> {
  const template = cell.template
  if (template.kind !== 'handler' || template.definition.snapshot === undefined)
    return Promise.reject(new NoSnapshotError(cell.address))
  if (cell.stopping) return Promise.reject(new ActorStoppedError(cell.address))
  return new Promise((resolve, reject) => {
    const forget = cell.onTerminated(() => reject(new ActorStoppedError(cell.address)))
    const settle =
      <T>(then: (value: T) => void) =>
      (value: T) => {
        forget()
        then(value)
      }
    cell.enqueueSignal(new SnapshotRequest(settle(resolve), settle(reject)))
  })
}
