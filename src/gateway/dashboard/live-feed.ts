import type { ServerResponse } from 'node:http'
import type { ActorSystem, ClusterMember, InspectionEvent } from '../../index.ts'
import type { ActorRow, ActorTable, TopActors } from './actor-table.ts'
import type { DeadLetterRing, DeadLetterView } from './dead-letter-ring.ts'

/** What one SSE `delta` event carries: what changed since the last one. */
export interface Delta {
  /** Live actors now, and dead letters so far (the system's count). */
  actors: number
  deadLetters: number
  viewers: number
  /** Actors spawned since the last delta (and still alive), each with its parent's path. */
  spawned: ActorRow[]
  /** Paths of actors that stopped. */
  stopped: string[]
  /** Actors whose queue, restarts or last error changed, at most `maxChanged` of them. */
  changed: ActorRow[]
  /**
   * `[path, messages per second]` of actors whose rate alone changed, at most `maxRates` of them:
   * under a load spread over many actors nearly every one changes each tick, and a pair is a
   * tenth of a row.
   */
  rates: [string, number][]
  /** How many more changed than `changed` and `rates` hold. */
  more: number
  /** True when the tree changed too much to send as a list: reload what is shown. */
  resynced: boolean
  newDeadLetters: DeadLetterView[]
  /** The top lists, when they changed. */
  top: TopActors | undefined
  /** The cluster's members, when they changed. */
  members: MemberView[] | undefined
}

/** A member of the cluster, as the page shows it. */
export interface MemberView {
  node: string
  incarnation: string | undefined
  since: string
  self: boolean
}

export interface LiveFeedOptions {
  intervalMs: number
  topCount: number
  maxChanged: number
  maxRates: number
  maxSpawned: number
}

/** A viewer whose unsent output passes this is too slow to follow, and is dropped. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024
const HEARTBEAT_EVERY_MS = 15_000

/**
 * The SSE viewers of a dashboard and what they cost: the system is inspected only while at least
 * one viewer is connected, and its counters are sampled only then. Changes are batched into one
 * `delta` per interval, sent only when something changed.
 */
export class LiveFeed {
  private readonly viewers = new Set<ServerResponse>()
  private stopInspecting: (() => void) | undefined
  private timer: NodeJS.Timeout | undefined
  private spawned = new Set<string>()
  private stopped = new Set<string>()
  private failed = new Set<string>()
  private deadLetters: DeadLetterView[] = []
  private needsResync = false
  private membersChanged = false
  private lastTop = ''
  private sinceHeartbeat = 0

  constructor(
    private readonly system: ActorSystem,
    private readonly table: ActorTable,
    private readonly ring: DeadLetterRing,
    private readonly options: LiveFeedOptions,
  ) {}

  get viewerCount(): number {
    return this.viewers.size
  }

  /** Whether the feed is subscribed to the system's inspection events. */
  get inspecting(): boolean {
    return this.stopInspecting !== undefined
  }

  /** Takes over a response as an SSE stream until the viewer leaves. */
  attach(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // The stream holds its connection to the end; closed then, it never lingers as keep-alive.
      connection: 'close',
      'x-accel-buffering': 'no',
    })
    if (this.viewers.size === 0) this.goLive()
    this.viewers.add(response)
    response.on('close', () => this.detach(response))
    const hello = { node: this.system.node, actors: this.table.size, viewers: this.viewers.size }
    response.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`)
  }

  /** Ends every viewer's stream (the server is closing). */
  closeAll(): void {
    for (const viewer of [...this.viewers]) viewer.end()
    this.viewers.clear()
    this.goIdle()
  }

  private detach(response: ServerResponse): void {
    if (!this.viewers.delete(response)) return
    if (this.viewers.size === 0) this.goIdle()
  }

  private goLive(): void {
    // Subscribe first, then walk: an actor spawned in between is seen twice, never missed.
    this.stopInspecting = this.system.inspect(this.onEvent)
    this.table.resync()
    this.table.stopSampling()
    this.table.sample()
    this.lastTop = ''
    this.timer = setInterval(this.tick, this.options.intervalMs)
    this.timer.unref()
  }

  private goIdle(): void {
    this.stopInspecting?.()
    this.stopInspecting = undefined
    clearInterval(this.timer)
    this.timer = undefined
    this.spawned.clear()
    this.stopped.clear()
    this.failed.clear()
    this.deadLetters = []
    // Nothing of the watch is kept: no table of every actor for the collector to walk, no cost.
    this.table.clear()
  }

  private readonly onEvent = (event: InspectionEvent): void => {
    switch (event.type) {
      case 'spawned':
        if (this.table.added(event.ref, event.parent)) this.spawned.add(event.ref.path)
        else this.needsResync = true
        return
      case 'stopped':
        if (this.table.removed(event.ref)) {
          if (!this.spawned.delete(event.ref.path)) this.stopped.add(event.ref.path)
          this.failed.delete(event.ref.path)
        }
        return
      case 'failed':
      case 'restarted':
        if (this.table.failed(event.ref, event.error)) this.failed.add(event.ref.path)
        return
      case 'dead-letter':
        this.deadLetters.push(this.ring.add(event.to, event.message, event.sender, event.reason))
        if (this.deadLetters.length > this.ring.capacity) this.deadLetters.shift()
        return
      case 'member-up':
      case 'member-down':
        this.membersChanged = true
        return
    }
  }

  private readonly tick = (): void => {
    let resynced = false
    if (this.needsResync || this.spawned.size > this.options.maxSpawned) {
      this.table.resync()
      this.needsResync = false
      resynced = true
    }
    const sampled = this.table.sample(this.options.topCount)
    const changed = new Set(sampled.changed)
    for (const path of this.failed) changed.add(path)
    const { top, signature } = this.table.sampledTop()
    const topChanged = signature !== this.lastTop
    this.lastTop = signature
    const nothing =
      !resynced &&
      changed.size === 0 &&
      sampled.rated.length === 0 &&
      this.spawned.size === 0 &&
      this.stopped.size === 0 &&
      this.deadLetters.length === 0 &&
      !topChanged &&
      !this.membersChanged
    this.sinceHeartbeat += this.options.intervalMs
    if (nothing) {
      if (this.sinceHeartbeat >= HEARTBEAT_EVERY_MS) this.broadcast(': heartbeat\n\n')
      return
    }
    const delta = this.delta(resynced, changed, sampled.rated, topChanged ? top : undefined)
    this.broadcast(`event: delta\ndata: ${JSON.stringify(delta)}\n\n`)
  }

  private delta(
    resynced: boolean,
    changed: Set<string>,
    rated: readonly string[],
    top: TopActors | undefined,
  ): Delta {
    const rows = (paths: Iterable<string>, max: number): ActorRow[] => {
      const out: ActorRow[] = []
      for (const path of paths) {
        if (out.length >= max) break
        const row = this.table.row(path)
        if (row !== undefined) out.push(row)
      }
      return out
    }
    for (const path of this.spawned) changed.delete(path)
    const delta: Delta = {
      actors: this.table.size,
      deadLetters: this.system.deadLetters,
      viewers: this.viewers.size,
      spawned: resynced ? [] : rows(this.spawned, this.options.maxSpawned),
      stopped: resynced ? [] : [...this.stopped],
      changed: rows(changed, this.options.maxChanged),
      rates: this.rates(rated, changed),
      more:
        Math.max(0, changed.size - this.options.maxChanged) +
        Math.max(0, rated.length - this.options.maxRates),
      resynced,
      newDeadLetters: this.deadLetters,
      top,
      members: this.membersChanged ? membersOf(this.system) : undefined,
    }
    this.spawned = new Set()
    this.stopped = new Set()
    this.failed = new Set()
    this.deadLetters = []
    this.membersChanged = false
    return delta
  }

  /** `[path, messages per second]` of the actors whose rate alone changed, at most `maxRates`. */
  private rates(rated: readonly string[], changed: Set<string>): [string, number][] {
    const out: [string, number][] = []
    for (const path of rated) {
      if (out.length >= this.options.maxRates) break
      if (changed.has(path) || this.spawned.has(path)) continue
      const rate = this.table.rateOf(path)
      if (rate !== undefined) out.push([path, rate])
    }
    return out
  }

  private broadcast(text: string): void {
    this.sinceHeartbeat = 0
    for (const viewer of this.viewers) {
      if (viewer.writableLength > MAX_BUFFERED_BYTES) viewer.destroy()
      else viewer.write(text)
    }
  }
}

/** The members of the cluster this node is in (itself alone outside a cluster). */
export function membersOf(system: ActorSystem): MemberView[] {
  return system.members().map((member: ClusterMember) => ({
    node: member.node,
    incarnation: member.incarnation,
    since: member.since.toISOString(),
    self: member.node === system.node,
  }))
}
