import { decodeName, type NameEntry } from './entries.ts'
import { decodeToken } from './keys.ts'
import type { BucketChange } from './kv-follower.ts'

/** A name as this node knows it: its entry and the revision of its key. */
export interface KnownName extends NameEntry {
  readonly name: string
  readonly revision: number
}

/**
 * The names of the cluster as the watch of the names bucket shows them, and the waits for names
 * not there yet. A name counts only while its owner is a member with the revision it claimed it
 * under (`current`): the names of a member declared down vanish with it, before their keys go.
 */
export class NamesView {
  private readonly known = new Map<string, { name: KnownName; generation: number }>()
  private readonly waiting = new Map<string, Set<(name: KnownName) => void>>()
  private generation = 0

  constructor(private readonly current: (name: NameEntry) => boolean) {}

  apply(change: BucketChange): void {
    const key = decodeToken(change.key)
    const known = this.known.get(key)
    if (known !== undefined && known.generation === this.generation && known.name.revision > change.revision)
      return
    const entry = change.deleted ? undefined : decodeName(change.value)
    if (entry === undefined) {
      this.known.delete(key)
      return
    }
    const name: KnownName = { ...entry, name: key, revision: change.revision }
    this.known.set(key, { name, generation: this.generation })
    this.wake(key)
  }

  /** The name, if it is held by a current member. */
  find(name: string): KnownName | undefined {
    const known = this.known.get(name)?.name
    return known !== undefined && this.current(known) ? known : undefined
  }

  /** Every name held by the member `node` under member revision `member`. */
  ownedBy(node: string, member: number): KnownName[] {
    return [...this.known.values()]
      .map((known) => known.name)
      .filter((name) => name.node === node && name.member === member)
  }

  /** Every name held by a current member, sorted. */
  list(): KnownName[] {
    return [...this.known.values()]
      .map((known) => known.name)
      .filter((name) => this.current(name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** Calls `found` once `name` is held by a current member; returns the function that calls it off. */
  onFound(name: string, found: (name: KnownName) => void): () => void {
    let waiters = this.waiting.get(name)
    if (waiters === undefined) {
      waiters = new Set()
      this.waiting.set(name, waiters)
    }
    const set = waiters
    set.add(found)
    return () => {
      set.delete(found)
      if (set.size === 0 && this.waiting.get(name) === set) this.waiting.delete(name)
    }
  }

  /** A member came up: names that arrived before it count now. */
  wakeAll(): void {
    for (const name of [...this.waiting.keys()]) this.wake(name)
  }

  beginResync(): number {
    this.generation++
    return this.generation
  }

  /** Forgets the names not shown since round `generation` began. */
  sweep(generation: number): void {
    for (const [key, known] of this.known) if (known.generation < generation) this.known.delete(key)
  }

  private wake(key: string): void {
    const waiters = this.waiting.get(key)
    const found = this.find(key)
    if (waiters === undefined || found === undefined) return
    this.waiting.delete(key)
    for (const wake of waiters) wake(found)
  }
}
