import { type LocalActor, localActor } from '../../core/internal.ts'
import type { Ref } from '../../core/ref.ts'
import type { Runtime } from '../../core/runtime.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { RemoteRef } from './remote-ref.ts'

/** Most local actors a peer remembers by path. */
const MAX_REMEMBERED_TARGETS = 10_000

/**
 * Where a peer's tells and asks go: the live local actor at a path, else dead letters. Paths the
 * peer sends to are remembered, since walking the tree for every message cost a sixth of the time
 * of a remote tell.
 */
export class LocalTargets {
  private readonly targets = new Map<string, LocalActor>()

  constructor(
    private readonly system: ActorSystem,
    private readonly runtime: Runtime,
    private readonly refOf: (node: string, path: string) => RemoteRef,
  ) {}

  deliver(path: string, message: unknown, sender: Ref | undefined): void {
    const target = this.target(path)
    if (target === undefined) {
      this.runtime.deadLetter(this.refOf(this.system.node, path), message, sender, 'stopped')
      return
    }
    // Freshly decoded: no one else holds it, so it needs no freezing or copying.
    target.enqueueOwned(message, sender)
  }

  private target(path: string): LocalActor | undefined {
    const known = this.targets.get(path)
    if (known !== undefined && !known.stopped) return known
    const found = localActor(this.system.actorAt(path))
    if (found !== undefined) {
      if (this.targets.size >= MAX_REMEMBERED_TARGETS) this.targets.clear()
      this.targets.set(path, found)
      return found
    }
    this.targets.delete(path)
    return undefined
  }
}
