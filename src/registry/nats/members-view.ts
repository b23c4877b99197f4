import { decodeMember, type MemberEntry } from './entries.ts'
import { decodeToken } from './keys.ts'
import type { BucketChange } from './kv-follower.ts'

/** A member as this node knows it: its entry and the revision of its key (its fencing token). */
export interface KnownMember extends MemberEntry {
  readonly revision: number
}

/** What a {@link MembersView} tells as members come and go. */
export interface MembersEvents {
  up(member: KnownMember): void
  down(member: KnownMember, reason: string): void
}

/**
 * The members of the cluster as the watch of the members bucket shows them. A member whose key is
 * deleted is down; one whose key is put again with another incarnation restarted (down, then up);
 * one put again with the same incarnation re-joined after a reconnection (no event).
 */
export class MembersView {
  private readonly known = new Map<string, { member: KnownMember; generation: number }>()
  private generation = 0

  constructor(private readonly events: MembersEvents) {}

  apply(change: BucketChange): void {
    const node = decodeToken(change.key)
    const current = this.known.get(node)
    const entry = change.deleted ? undefined : decodeMember(change.value)
    if (entry === undefined || entry.node !== node) {
      if (current === undefined || this.newer(current, change.revision)) return
      this.known.delete(node)
      this.events.down(
        current.member,
        change.deleted ? 'its member key was deleted' : 'its member key holds no member',
      )
      return
    }
    const member: KnownMember = { ...entry, revision: change.revision }
    if (
      current !== undefined &&
      (this.newer(current, change.revision) || current.member.revision === change.revision)
    ) {
      current.generation = this.generation
      return
    }
    this.known.set(node, { member, generation: this.generation })
    if (current === undefined) this.events.up(member)
    else if (current.member.incarnation !== member.incarnation) {
      this.events.down(current.member, 'it restarted (a new incarnation)')
      this.events.up(member)
    }
  }

  /** Starts a new round of the watch: what it does not show again is forgotten at {@link sweep}. */
  beginResync(): number {
    this.generation++
    return this.generation
  }

  /** Forgets (as down) the members not shown since round `generation` began. */
  sweep(generation: number): void {
    for (const [node, { member, generation: seen }] of this.known) {
      if (seen >= generation) continue
      this.known.delete(node)
      this.events.down(member, 'its member key was lost with the servers’ state and not put back')
    }
  }

  // Revisions start again from 1 in a bucket made anew (servers that lost their state): one this
  // round has not shown yet is older than whatever the round shows.
  private newer(current: { member: KnownMember; generation: number }, revision: number): boolean {
    return current.generation === this.generation && current.member.revision > revision
  }

  get(node: string): KnownMember | undefined {
    return this.known.get(node)?.member
  }

  /** The members sorted by node name. */
  list(): KnownMember[] {
    return [...this.known.values()].map((known) => known.member).sort((a, b) => compare(a.node, b.node))
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
