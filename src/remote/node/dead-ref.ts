import { ActorStoppedError } from '../../core/errors.ts'
import type { LocalActorHandle, Ref } from '../../core/ref.ts'
import { RefBase } from '../../core/ref.ts'
import type { Runtime } from '../../core/runtime.ts'

/**
 * A ref, received from another node, to an actor of this node that no longer lives: what is told
 * to it is a dead letter, asks reject at once, and watchers learn at once that it stopped.
 */
export class DeadRef extends RefBase {
  constructor(
    private readonly runtime: Runtime,
    readonly address: string,
    readonly path: string,
  ) {
    super()
  }

  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1)
  }

  tell(message: unknown, sender?: Ref): void {
    this.runtime.deadLetter(this, message, sender, 'stopped')
  }

  ask<R>(): Promise<R> {
    return Promise.reject(new ActorStoppedError(this.address))
  }

  send(message: unknown): Promise<void> {
    this.tell(message)
    return Promise.reject(new ActorStoppedError(this.address))
  }

  override addWatcher(watcher: LocalActorHandle): void {
    watcher.terminated(this, 'stopped')
  }

  override addLink(actor: LocalActorHandle): void {
    actor.exited(this, 'noproc')
  }
}
