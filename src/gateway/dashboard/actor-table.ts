import type { ActorSystem, Ref } from '../../index.ts'
import { describeError } from '../../internal.ts'

/** One actor as the dashboard shows it. */
export interface ActorRow {
  path: string
  name: string
  /** The parent's path (`/user` for the actors spawned on the system). */
  parent: string
  address: string
  childCount: number
  /** Messages waiting in its mailbox at the last sample. */
  queued: number
  /** Messages handled per second between the last two samples (0 with no viewer: nothing samples). */
  rate: number
  restarts: number
  /** The last failure seen while a viewer watched, as `describeError` says it, and when. */
  lastError: string | undefined
  lastErrorAt: number | undefined
}

/** What one sample found changed. */
export interface Sampled {
  /** Actors whose queue or restarts changed (their whole row is worth sending). */
  changed: string[]
  /** Actors whose messages per second alone changed. */
  rated: string[]
}

/** The sort orders of the flat list of actors. */
export type ActorOrder = 'path' | 'queued' | 'restarts' | 'rate'

/** The top actors by each measure, at most `n` of each, leaving out those at zero. */
export interface TopActors {
  queued: ActorRow[]
  restarts: ActorRow[]
  rate: ActorRow[]
}

/** A page of rows out of `total`. */
export interface RowPage {
  total: number
  offset: number
  rows: ActorRow[]
}

interface Entry {
  /** `undefined` for the root, `/user`, which is the system's guardian and no actor of yours. */
  ref: Ref | undefined
  path: string
  name: string
  parent: Entry | undefined
  /** In spawn order (a Set keeps insertion order). */
  children: Set<Entry>
  queued: number
  handled: number
  rate: number
  restarts: number
  lastError: string | undefined
  lastErrorAt: number | undefined
}

export const ROOT_PATH = '/user'

type Measure = 'queued' | 'restarts' | 'rate'

/**
 * Keeps `best` the `n` highest entries by `measure`, highest first, leaving out those at zero:
 * O(n) per entry offered, and nothing for most of them (below the lowest kept).
 */
function offer(best: Entry[], entry: Entry, measure: Measure, n: number): void {
  const value = entry[measure]
  if (value <= 0 || entry.ref === undefined) return
  if (best.length === n && value <= best[n - 1]![measure]) return
  let at = best.length
  while (at > 0 && best[at - 1]![measure] < value) at--
  best.splice(at, 0, entry)
  if (best.length > n) best.pop()
}

/**
 * The actors of one node, by path: built by walking the supervision tree, kept up to date by the
 * inspection events while someone watches, and sampled for cheap counters.
 */
export class ActorTable {
  private readonly entries = new Map<string, Entry>()
  private readonly root: Entry = newEntry(undefined, ROOT_PATH, 'user', undefined)
  private lastSample = 0
  private readonly tops: Record<Measure, Entry[]> = { queued: [], restarts: [], rate: [] }

  constructor(private readonly system: ActorSystem) {
    this.entries.set(ROOT_PATH, this.root)
  }

  get size(): number {
    return this.entries.size - 1
  }

  /** Rebuilds the table from a walk of the live tree, keeping what it knew of actors still there. */
  resync(): void {
    const known = new Map(this.entries)
    this.entries.clear()
    this.root.children.clear()
    this.entries.set(ROOT_PATH, this.root)
    const walk = (parent: Entry, refs: Ref[]): void => {
      for (const ref of refs) {
        const old = known.get(ref.path)
        const entry = this.insert(ref, parent)
        if (old !== undefined && old.ref === ref) copyCounters(old, entry)
        walk(entry, this.system.childrenOf(ref))
      }
    }
    walk(this.root, this.system.childrenOf())
  }

  /** A `spawned` event; false when its parent is unknown (the table needs a resync). */
  added(ref: Ref, parent: Ref | undefined): boolean {
    const parentEntry = parent === undefined ? undefined : this.entries.get(parent.path)
    if (parentEntry === undefined || (parentEntry.ref !== undefined && parentEntry.ref !== parent))
      return false
    this.insert(ref, parentEntry)
    return true
  }

  /** A `stopped` event: the actor and whatever is left under it go. */
  removed(ref: Ref): boolean {
    const entry = this.entries.get(ref.path)
    if (entry === undefined || entry.ref !== ref) return false
    entry.parent?.children.delete(entry)
    const drop = (e: Entry): void => {
      this.entries.delete(e.path)
      for (const child of e.children) drop(child)
    }
    drop(entry)
    return true
  }

  /** A `failed` or `restarted` event. */
  failed(ref: Ref, error: unknown): boolean {
    const entry = this.entries.get(ref.path)
    if (entry === undefined || entry.ref !== ref) return false
    entry.lastError = describeError(error, { firstLine: true })
    entry.lastErrorAt = Date.now()
    return true
  }

  /**
   * Reads every actor's counters; returns the paths whose queue or restarts changed, and apart
   * those whose rate alone did (most of them, under a spread load: a few bytes each to send). With `topCount`, the
   * same pass keeps the top actors by each measure, which {@link sampledTop} then gives: one walk
   * of the table a tick, however many lists it feeds.
   */
  sample(topCount = 0, now = performance.now()): Sampled {
    const seconds = this.lastSample === 0 ? 0 : (now - this.lastSample) / 1000
    this.lastSample = now
    const changed: string[] = []
    const rated: string[] = []
    const tops = this.tops
    tops.queued.length = 0
    tops.restarts.length = 0
    tops.rate.length = 0
    for (const entry of this.entries.values()) {
      if (entry.ref === undefined) continue
      const counters = this.system.actorCounters(entry.ref)
      if (counters === undefined) continue
      const rate = seconds > 0 ? Math.round((counters.handled - entry.handled) / seconds) : entry.rate
      if (counters.queued !== entry.queued || counters.restarts !== entry.restarts) changed.push(entry.path)
      else if (rate !== entry.rate) rated.push(entry.path)
      entry.queued = counters.queued
      entry.handled = counters.handled
      entry.restarts = counters.restarts
      entry.rate = rate
      if (topCount > 0) {
        offer(tops.queued, entry, 'queued', topCount)
        offer(tops.restarts, entry, 'restarts', topCount)
        offer(tops.rate, entry, 'rate', topCount)
      }
    }
    return { changed, rated }
  }

  /** The rate of a known actor, as the last sample found it. */
  rateOf(path: string): number | undefined {
    return this.entries.get(path)?.rate
  }

  /**
   * The top actors as the last {@link sample} with a `topCount` found them, and a short text of
   * who they are and their figures, which changes exactly when the lists do.
   */
  sampledTop(): { top: TopActors; signature: string } {
    const text = (list: Entry[], measure: Measure) => list.map((e) => `${e.path}=${e[measure]}`).join(',')
    const { queued, restarts, rate } = this.tops
    return {
      top: {
        queued: queued.map((e) => this.rowOf(e)),
        restarts: restarts.map((e) => this.rowOf(e)),
        rate: rate.map((e) => this.rowOf(e)),
      },
      signature: `${text(queued, 'queued')};${text(restarts, 'restarts')};${text(rate, 'rate')}`,
    }
  }

  /** Forgets every actor (no one watches: the table holds nothing until the next resync). */
  clear(): void {
    this.entries.clear()
    this.root.children.clear()
    this.entries.set(ROOT_PATH, this.root)
    for (const list of Object.values(this.tops)) list.length = 0
    this.lastSample = 0
  }

  /** Forgets the time of the last sample: rates start again from the next two samples. */
  stopSampling(): void {
    this.lastSample = 0
    for (const entry of this.entries.values()) entry.rate = 0
  }

  refOf(path: string): Ref | undefined {
    return this.entries.get(path)?.ref
  }

  row(path: string): ActorRow | undefined {
    const entry = this.entries.get(path)
    return entry === undefined || entry.ref === undefined ? undefined : this.rowOf(entry)
  }

  /** A page of a parent's children, in spawn order; `undefined` for an unknown parent. */
  children(parent: string, offset: number, limit: number): RowPage | undefined {
    const entry = this.entries.get(parent)
    if (entry === undefined) return undefined
    const rows: ActorRow[] = []
    let i = 0
    for (const child of entry.children) {
      if (i >= offset + limit) break
      if (i++ >= offset) rows.push(this.rowOf(child))
    }
    return { total: entry.children.size, offset, rows }
  }

  /** A page of every actor, by path or by a measure (highest first). */
  page(order: ActorOrder, offset: number, limit: number): RowPage {
    const all = [...this.entries.values()].filter((e) => e.ref !== undefined)
    if (order === 'path') all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    else all.sort((a, b) => b[order] - a[order] || (a.path < b.path ? -1 : 1))
    return { total: all.length, offset, rows: all.slice(offset, offset + limit).map((e) => this.rowOf(e)) }
  }

  top(n: number): TopActors {
    return {
      queued: this.topBy('queued', n),
      restarts: this.topBy('restarts', n),
      rate: this.topBy('rate', n),
    }
  }

  private topBy(measure: Measure, n: number): ActorRow[] {
    const best: Entry[] = []
    for (const entry of this.entries.values()) offer(best, entry, measure, n)
    return best.map((e) => this.rowOf(e))
  }

  private insert(ref: Ref, parent: Entry): Entry {
    const entry = newEntry(ref, ref.path, ref.path.slice(ref.path.lastIndexOf('/') + 1), parent)
    const old = this.entries.get(entry.path)
    if (old !== undefined) old.parent?.children.delete(old)
    this.entries.set(entry.path, entry)
    parent.children.add(entry)
    return entry
  }

  private rowOf(entry: Entry): ActorRow {
    return {
      path: entry.path,
      name: entry.name,
      parent: entry.parent?.path ?? '',
      address: entry.ref?.address ?? '',
      childCount: entry.children.size,
      queued: entry.queued,
      rate: entry.rate,
      restarts: entry.restarts,
      lastError: entry.lastError,
      lastErrorAt: entry.lastErrorAt,
    }
  }
}

function newEntry(ref: Ref | undefined, path: string, name: string, parent: Entry | undefined): Entry {
  return {
    ref,
    path,
    name,
    parent,
    children: new Set(),
    queued: 0,
    handled: 0,
    rate: 0,
    restarts: 0,
    lastError: undefined,
    lastErrorAt: undefined,
  }
}

function copyCounters(from: Entry, to: Entry): void {
  to.queued = from.queued
  to.handled = from.handled
  to.rate = from.rate
  to.restarts = from.restarts
  to.lastError = from.lastError
  to.lastErrorAt = from.lastErrorAt
}
