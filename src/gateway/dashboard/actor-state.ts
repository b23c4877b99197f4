import { ActorStoppedError, type ActorSystem, NodeDownError, NoSnapshotError, type Ref } from '../../index.ts'
import { settleWithin } from './settle-within.ts'

/**
 * What an actor's details show of its state: its snapshot, or why there is none (no `snapshot`
 * in its definition, busy past `waitMs`, its own failure). An actor that is gone, or whose node
 * is, rejects: the route says so with its status.
 */
export async function stateOf(
  system: ActorSystem,
  ref: Ref,
  waitMs: number,
): Promise<{ snapshot: unknown } | { none: string }> {
  try {
    const snapshot = await settleWithin(waitMs, system.snapshot(ref))
    return snapshot === undefined
      ? { none: `no snapshot within ${waitMs} ms (busy?)` }
      : { snapshot: snapshot.value }
  } catch (error) {
    if (error instanceof NoSnapshotError) return { none: 'its definition has no snapshot(state)' }
    if (error instanceof ActorStoppedError || error instanceof NodeDownError) throw error
    return { none: error instanceof Error ? error.message : String(error) }
  }
}
