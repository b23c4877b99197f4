import { waitForEvent } from '../concurrency/timeouts.ts'
import { ActorNotFoundError, InvalidOptionError, NameTakenError } from './errors.ts'
import type { Ref } from './ref.ts'

const validName = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/

export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !validName.test(name) || name.length > 200) {
    throw new InvalidOptionError(
      'name',
      `expected letters, digits and _ . : @ - (not starting with $ or a symbol), got ${JSON.stringify(name)}`,
    )
  }
}

/** Told when a name of this node is registered or freed (a cluster registry follows them). */
export interface NameListener {
  registered(name: string, ref: Ref): void
  unregistered(name: string, ref: Ref): void
}

/** The names of this node's live actors, and those waiting for a name to appear. */
export class Names {
  private readonly live = new Map<string, Ref>()
  private readonly waiting = new Map<string, Set<(ref: Ref) => void>>()
  listener: NameListener | null = null

  register(name: string, ref: Ref): void {
    if (this.live.has(name)) throw new NameTakenError(name)
    this.live.set(name, ref)
    this.listener?.registered(name, ref)
    const waiters = this.waiting.get(name)
    if (waiters !== undefined) {
      this.waiting.delete(name)
      for (const wake of waiters) wake(ref)
    }
  }

  unregister(name: string, ref: Ref): void {
    if (this.live.get(name) !== ref) return
    this.live.delete(name)
    this.listener?.unregistered(name, ref)
  }

  find(name: string): Ref | undefined {
    return this.live.get(name)
  }

  entries(): [string, Ref][] {
    return [...this.live]
  }

  wait(name: string, timeoutMs: number, signal?: AbortSignal): Promise<Ref> {
    const found = this.live.get(name)
    if (found !== undefined) return Promise.resolve(found)
    return waitForEvent<Ref>(
      (wake) => {
        let waiters = this.waiting.get(name)
        if (waiters === undefined) {
          waiters = new Set()
          this.waiting.set(name, waiters)
        }
        const set = waiters
        set.add(wake)
        return () => {
          set.delete(wake)
          if (set.size === 0 && this.waiting.get(name) === set) this.waiting.delete(name)
        }
      },
      timeoutMs,
      signal,
      () => new ActorNotFoundError(name, timeoutMs),
    )
  }
}
