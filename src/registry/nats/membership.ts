import type { KV } from '@nats-io/kv'
import type { Logger } from 'pino'
import { decodeMember, encodeEntry, type MemberEntry } from './entries.ts'
import { encodeToken } from './keys.ts'
import type { KnownMember } from './members-view.ts'
import { isWrongRevision } from './name-claims.ts'

/** Where a {@link Membership} writes. */
export interface MembershipHost {
  readonly node: string
  readonly incarnation: string
  members(): KV
}

/**
 * This node's member key: written at join (its revision is the fencing token of every name the
 * node claims), deleted at leave, and deleted by whoever declares another member down, always by
 * CAS so that of several declarers one wins and a member that joined again is not deleted by a
 * declarer that judged its previous membership.
 */
export class Membership {
  /** The revision of this node's member key while it is a member. */
  revision: number | undefined
  private readonly key: string
  /** When this node first joined, kept when it writes its key again. */
  private readonly since = Date.now()

  constructor(
    private readonly host: MembershipHost,
    private readonly logger: Logger,
  ) {
    this.key = encodeToken(host.node)
  }

  /**
   * Writes this node's member key. A key left by an earlier run of this node (killed before it was
   * declared down) is taken over, and `forget` deletes the names that run held.
   */
  async join(forget: (node: string, revision: number) => Promise<void>): Promise<void> {
    const kv = this.host.members()
    const entry: MemberEntry = { node: this.host.node, incarnation: this.host.incarnation, since: this.since }
    for (let attempt = 0; ; attempt++) {
      const current = await kv.get(this.key)
      const previous =
        current === null || current.operation !== 'PUT' ? undefined : decodeMember(current.value)
      try {
        this.revision =
          current === null
            ? await kv.create(this.key, encodeEntry(entry))
            : await kv.update(this.key, encodeEntry(entry), current.revision)
      } catch (error) {
        if (attempt < 3 && isWrongRevision(error)) continue
        throw error
      }
      if (previous !== undefined && current !== null) {
        this.logger.warn(
          `${this.host.node} took over the member key of its earlier run (${previous.incarnation}) and frees that run's names`,
        )
        await forget(previous.node, current.revision)
      }
      return
    }
  }

  /** Stops being a member (expelled): claims wait for the next join. */
  forget(): void {
    this.revision = undefined
  }

  /** Deletes this node's member key (it leaves). */
  async leave(): Promise<void> {
    const revision = this.revision
    this.revision = undefined
    if (revision !== undefined) await this.host.members().delete(this.key, { previousSeq: revision })
  }

  /**
   * Deletes the member key of `member`, declared down, if it still holds that run of the node:
   * `won` when this call deleted it, `lost` when it was gone or another declarer won, `failed` when
   * the servers could not be asked (no JetStream quorum yet, a timeout): worth another try.
   */
  async expel(member: KnownMember): Promise<'won' | 'lost' | 'failed'> {
    const kv = this.host.members()
    const key = encodeToken(member.node)
    try {
      const current = await kv.get(key)
      if (current === null || current.operation !== 'PUT') return 'lost'
      const entry = decodeMember(current.value)
      if (entry?.incarnation !== member.incarnation) return 'lost'
      await kv.delete(key, { previousSeq: current.revision })
      return 'won'
    } catch (error) {
      if (isWrongRevision(error)) return 'lost'
      this.logger.warn({ err: error }, `cannot declare ${member.node} down yet`)
      return 'failed'
    }
  }

  /** Whether this node's member key is still the one it wrote. */
  async stillMember(): Promise<boolean> {
    const current = await this.host.members().get(this.key)
    return current !== null && current.operation === 'PUT' && current.revision === this.revision
  }

  /**
   * After a reconnection: `kept` (the key is as written), `restored` (the servers lost it: written
   * again, with a new revision) or `expelled` (another member deleted it, or a later run took it).
   */
  async verify(): Promise<'kept' | 'restored' | 'expelled'> {
    const kv = this.host.members()
    const current = await kv.get(this.key)
    if (current === null) {
      if (this.revision === undefined) return 'expelled'
      const entry: MemberEntry = {
        node: this.host.node,
        incarnation: this.host.incarnation,
        since: Date.now(),
      }
      this.revision = await kv.create(this.key, encodeEntry(entry))
      return 'restored'
    }
    return current.operation === 'PUT' && current.revision === this.revision ? 'kept' : 'expelled'
  }
}
