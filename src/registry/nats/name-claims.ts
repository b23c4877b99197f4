import type { KV } from '@nats-io/kv'
import type { Logger } from 'pino'
import type { Ref } from '../../core/ref.ts'
import { decodeMember, decodeName, encodeEntry, type NameEntry } from './entries.ts'
import { encodeToken } from './keys.ts'

/** Where a {@link NameClaims} writes, and whom it tells of a refusal. */
export interface ClaimsHost {
  readonly node: string
  readonly incarnation: string
  /** Pause before a claim that failed (servers unreachable, a leader election) is tried again… */
  readonly retryMs: number
  /** …doubling after each failure up to this. */
  readonly maxRetryMs: number
  names(): KV
  members(): KV
  /** The revision of this node's member key, or `undefined` while it is not a member (re-joining). */
  memberRevision(): number | undefined
  /** A claim was refused: `holder` holds the name (the local actor loses its name). */
  refused(name: string, ref: Ref, holder: NameEntry | undefined, why: string): void
}

interface Claim {
  readonly ref: Ref
  /** The revision of the name's key once this node holds it. */
  revision: number | undefined
  /** Failed writes in a row: the next retry waits longer. */
  failures: number
}

/**
 * The names this node claims in the cluster. A claim is a KV `create` (which fails when the name is
 * taken), its entry holding this node's member revision; a release deletes the key only if it
 * still has the revision of the claim (CAS), so a node that was declared down and lost a name
 * never deletes the next owner's claim. Operations on one name run one after the other.
 */
export class NameClaims {
  private readonly held = new Map<string, Claim>()
  private readonly queues = new Map<string, Promise<void>>()

  constructor(
    private readonly host: ClaimsHost,
    private readonly logger: Logger,
  ) {}

  /** Claims `name` for `ref` now if this node is a member, else when it is one again. */
  claim(name: string, ref: Ref): Promise<void> {
    this.held.set(name, { ref, revision: undefined, failures: 0 })
    return this.run(name, () => this.write(name, ref))
  }

  /** Gives `name` up if `ref` holds it. */
  release(name: string, ref: Ref): Promise<void> {
    const claim = this.held.get(name)
    if (claim?.ref !== ref) return Promise.resolve()
    this.held.delete(name)
    return this.run(name, async () => {
      if (claim.revision === undefined) return
      try {
        await this.host.names().delete(encodeToken(name), { previousSeq: claim.revision })
      } catch (error) {
        // Taken over meanwhile (this node was declared down), or the servers lost it: not ours.
        this.logger.debug({ err: error, name }, `the release of '${name}' found it changed`)
      }
    })
  }

  /** Forgets what the names' keys were: this node was expelled, and claims them again as a new member. */
  forgetRevisions(): void {
    for (const claim of this.held.values()) claim.revision = undefined
  }

  /** Claims again every name this node holds (a new member revision, or servers that lost state). */
  reclaimAll(): Promise<void> {
    return Promise.all(
      [...this.held].map(([name, claim]) => this.run(name, () => this.write(name, claim.ref))),
    ).then(() => undefined)
  }

  /** Releases every name (the node leaves). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.held].map(([name, claim]) => this.release(name, claim.ref)))
  }

  /** The names held now, with their refs. */
  entries(): [string, Ref][] {
    return [...this.held]
      .filter(([, claim]) => claim.revision !== undefined)
      .map(([name, claim]) => [name, claim.ref])
  }

  private run(name: string, op: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(name) ?? Promise.resolve()).then(op, op)
    this.queues.set(name, next)
    void next.finally(() => {
      if (this.queues.get(name) === next) this.queues.delete(name)
    })
    return next
  }

  /** Makes the key of `name` hold this node's claim: creates it, or takes over a stale claim of its own. */
  private async write(name: string, ref: Ref): Promise<void> {
    const claim = this.held.get(name)
    const member = this.host.memberRevision()
    if (claim?.ref !== ref || member === undefined) return
    const key = encodeToken(name)
    const entry: NameEntry = {
      node: this.host.node,
      incarnation: this.host.incarnation,
      address: ref.address,
      member,
    }
    const kv = this.host.names()
    try {
      // A CAS lost to another writer (a declarer deleting the stale claim, a rival's create) is
      // read again: only a live holder found by a read refuses the claim.
      for (let attempt = 0; attempt < 4; attempt++) {
        const current = await kv.get(key)
        const holder = current === null || current.operation !== 'PUT' ? undefined : decodeName(current.value)
        let revision: number
        try {
          if (holder === undefined) {
            revision =
              current === null
                ? await kv.create(key, encodeEntry(entry))
                : await kv.update(key, encodeEntry(entry), current.revision)
          } else if (holder.node === entry.node && holder.incarnation === entry.incarnation) {
            if (holder.member === member && holder.address === entry.address) revision = current!.revision
            else revision = await kv.update(key, encodeEntry(entry), current!.revision)
          } else if (await this.stale(holder)) {
            await kv.delete(key, { previousSeq: current!.revision })
            continue
          } else {
            this.refuse(name, ref, holder, `${holder.node} holds it`)
            return
          }
        } catch (error) {
          if (isWrongRevision(error)) continue
          throw error
        }
        if (this.held.get(name) === claim) {
          claim.revision = revision
          claim.failures = 0
        }
        return
      }
      this.refuse(name, ref, undefined, 'others kept claiming it at the same time')
    } catch (error) {
      if (this.held.get(name) !== claim) return
      this.retryLater(name, claim!, error)
    }
  }

  /** Tries the claim again soon: a leader election ends within seconds, and the name waits on it. */
  private retryLater(name: string, claim: Claim, error: unknown): void {
    const pause = Math.min(this.host.retryMs * 2 ** claim.failures, this.host.maxRetryMs)
    claim.failures++
    this.logger.warn(
      { err: error, name },
      `cannot claim '${name}' in the cluster yet: next try in ${pause} ms`,
    )
    const timer = setTimeout(() => void this.run(name, () => this.write(name, claim.ref)), pause)
    timer.unref()
  }

  /** Whether `holder`'s owner is no longer the member that claimed it (read from the bucket, not a cache). */
  private async stale(holder: NameEntry): Promise<boolean> {
    const member = await this.host.members().get(encodeToken(holder.node))
    if (member === null || member.operation !== 'PUT') return true
    const entry = decodeMember(member.value)
    return (
      entry === undefined || entry.incarnation !== holder.incarnation || member.revision !== holder.member
    )
  }

  private refuse(name: string, ref: Ref, holder: NameEntry | undefined, why: string): void {
    if (this.held.get(name)?.ref !== ref) return
    this.held.delete(name)
    this.host.refused(name, ref, holder, why)
  }
}

/** A KV write refused because the key's revision is no longer the one given (CAS lost). */
export function isWrongRevision(error: unknown): boolean {
  const text =
    error instanceof Error ? `${error.message} ${String((error as { code?: unknown }).code ?? '')}` : ''
  return /wrong last sequence|10071|key exists/i.test(text)
}
