/** A request to the peer's node waiting for its answer: an ask, or remote work this node opened. */
export interface PendingRequest {
  /** The answer came: an ask's `reply`, or the `end` of a context with what its function returned. */
  answered(value: unknown): void
  /** The other node's `error` (with the uid of the actor a function ran as). */
  refused(error: unknown, uid: string | undefined): void
  /** It failed on this side: the request could not be sent, or the node is lost. */
  failed(error: unknown): void
}

/**
 * Everything this node waits for from one peer, by correlation id: asks and remote work alike,
 * so that a lost node fails every one of them from here. Ids are never reused along a peer, and
 * the peer's other requests (watches, spawns) take theirs from here too, so that an `error`
 * names one thing.
 */
export class PendingRequests {
  private lastId = 0
  private readonly entries = new Map<number, PendingRequest>()

  /** A fresh correlation id. */
  newId(): number {
    return ++this.lastId
  }

  /** Waits for the answer of `entry` under a fresh id, which it returns. */
  add(entry: PendingRequest): number {
    const id = this.newId()
    this.entries.set(id, entry)
    return id
  }

  get(id: number): PendingRequest | undefined {
    return this.entries.get(id)
  }

  has(id: number): boolean {
    return this.entries.has(id)
  }

  /** The entry of `id`, no longer pending. */
  take(id: number): PendingRequest | undefined {
    const entry = this.entries.get(id)
    if (entry !== undefined) this.entries.delete(id)
    return entry
  }

  delete(id: number): boolean {
    return this.entries.delete(id)
  }

  /** Fails every pending request with `error`, which forgets them all. */
  failAll(error: unknown): void {
    const entries = [...this.entries.values()]
    this.entries.clear()
    for (const entry of entries) entry.failed(error)
  }
}
