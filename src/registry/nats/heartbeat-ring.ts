import type { NatsConnection, Subscription } from '@nats-io/nats-core'
import type { Logger } from 'pino'
import { heartbeatSubject } from './keys.ts'
import type { KnownMember } from './members-view.ts'

/** How a {@link HeartbeatRing} beats and watches. */
export interface RingSettings {
  prefix: string
  node: string
  heartbeatIntervalMs: number
  memberTimeoutMs: number
  watchedSuccessors: number
}

/** What a {@link HeartbeatRing} asks of its owner. */
export interface RingHost {
  /** A watched member sent no heartbeat within the timeout. */
  silent(member: KnownMember, silentMs: number): void
  /** This node's timer fired this late: it was frozen (SIGSTOP) or starved, and may be expelled. */
  woke(lateMs: number): void
}

interface Watched {
  member: KnownMember
  subscription: Subscription
  lastSeen: number
  reported: boolean
}

/**
 * Failure detection in O(N) messages: each member publishes one heartbeat per interval on its own
 * subject, and subscribes only to its ring successors' (the next one or two in the sorted member
 * list), so the cluster carries N heartbeats per interval and each member receives one or two,
 * whatever N is. Every member is watched by as many predecessors as it has watched successors.
 */
export class HeartbeatRing {
  private readonly watched = new Map<string, Watched>()
  private readonly timer: NodeJS.Timeout
  private lastTick = performance.now()
  private judging = true
  private readonly payload: Uint8Array

  constructor(
    private readonly client: NatsConnection,
    private readonly settings: RingSettings,
    private readonly host: RingHost,
    private readonly logger: Logger,
  ) {
    this.payload = new TextEncoder().encode(settings.node)
    this.timer = setInterval(() => this.tick(), settings.heartbeatIntervalMs)
    this.timer.unref()
  }

  /** Watches the successors of this node among `members` (sorted by node), and only them. */
  follow(members: readonly KnownMember[]): void {
    const successors = successorsOf(this.settings.node, members, this.settings.watchedSuccessors)
    const wanted = new Map(successors.map((member) => [member.node, member]))
    for (const [node, watched] of this.watched) {
      const next = wanted.get(node)
      if (next === undefined || next.revision !== watched.member.revision) {
        watched.subscription.unsubscribe()
        this.watched.delete(node)
      }
    }
    for (const member of successors) {
      if (this.watched.has(member.node)) continue
      const watched: Watched = {
        member,
        // A member just watched gets the whole timeout to be heard.
        lastSeen: performance.now(),
        reported: false,
        subscription: this.client.subscribe(heartbeatSubject(this.settings.prefix, member.node), {
          callback: () => {
            watched.lastSeen = performance.now()
            watched.reported = false
          },
        }),
      }
      this.watched.set(member.node, watched)
    }
  }

  /** The nodes watched now (for tests and inspection). */
  get watching(): string[] {
    return [...this.watched.keys()]
  }

  /**
   * Hears every watched member anew: after this node was cut off or frozen, its own deafness is
   * not their silence. While `judging` is false (disconnected) no member is reported.
   */
  grace(judging = true): void {
    this.judging = judging
    const now = performance.now()
    for (const watched of this.watched.values()) watched.lastSeen = now
  }

  /** Reports `node` again at the next tick if it is still silent: declaring it down failed. */
  reportAgain(node: string): void {
    const watched = this.watched.get(node)
    if (watched !== undefined) watched.reported = false
  }

  /** Publishes a heartbeat now (at join, so that watchers hear this node at once). */
  beat(): void {
    try {
      this.client.publish(heartbeatSubject(this.settings.prefix, this.settings.node), this.payload)
    } catch (error) {
      this.logger.debug({ err: error }, 'cannot publish a heartbeat')
    }
  }

  stop(): void {
    clearInterval(this.timer)
    for (const watched of this.watched.values()) watched.subscription.unsubscribe()
    this.watched.clear()
  }

  private tick(): void {
    const now = performance.now()
    const late = now - this.lastTick - this.settings.heartbeatIntervalMs
    this.lastTick = now
    if (late > this.settings.memberTimeoutMs) {
      // Frozen: the others stopped hearing this node too. Its own silence is not theirs: hear
      // them anew before judging them, and let the owner check whether it is still a member.
      for (const watched of this.watched.values()) watched.lastSeen = now
      this.host.woke(late)
    }
    this.beat()
    for (const watched of this.watched.values()) {
      const silent = now - watched.lastSeen
      if (this.judging && silent > this.settings.memberTimeoutMs && !watched.reported) {
        watched.reported = true
        this.host.silent(watched.member, silent)
      }
    }
  }
}

/** The next `count` members after `node` in the ring of `members` (sorted by node), never `node` itself. */
export function successorsOf(node: string, members: readonly KnownMember[], count: number): KnownMember[] {
  const others = members.filter((member) => member.node !== node)
  if (others.length === 0) return []
  let start = others.findIndex((member) => member.node > node)
  if (start === -1) start = 0
  const successors: KnownMember[] = []
  for (let i = 0; i < Math.min(count, others.length); i++)
    successors.push(others[(start + i) % others.length]!)
  return successors
}
