import { jetstream } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import type { Logger } from 'pino'
import { waitForEvent } from '../../concurrency/timeouts.ts'
import { ActorNotFoundError } from '../../core/errors.ts'
import { CLUSTER, type ClusterHooks, type ClusterMember, RUNTIME, type Runtime } from '../../core/internal.ts'
import type { NameListener } from '../../core/names.ts'
import type { Ref } from '../../core/ref.ts'
import type { ActorSystem } from '../../core/system.ts'
import type { NodeEndpoint } from '../../remote/node/address.ts'
import type { RegistryClient, RemoteNode } from '../../remote/node/remote-node.ts'
import { NATS_CLUSTER } from './cluster-key.ts'
import type { NameEntry } from './entries.ts'
import { HeartbeatRing } from './heartbeat-ring.ts'
import { encodeToken, membersBucket, namesBucket } from './keys.ts'
import { KvFollower } from './kv-follower.ts'
import { type KnownMember, MembersView } from './members-view.ts'
import { Membership } from './membership.ts'
import { NameClaims } from './name-claims.ts'
import { NamesView } from './names-view.ts'
import { type Buckets, openBuckets } from './open-buckets.ts'
import { followerTiming, type NatsClusterSettings } from './options.ts'

/** One node's side of a NATS cluster: its member key, its names, its caches and its heartbeats. */
export class NatsCluster implements RegistryClient, NameListener, ClusterHooks {
  private readonly logger: Logger
  private readonly runtime: Runtime
  private readonly kvm: Kvm
  private buckets: Buckets | undefined
  private readonly membersView: MembersView
  private readonly namesView: NamesView
  private readonly membersFollower: KvFollower
  private readonly namesFollower: KvFollower
  private readonly claims: NameClaims
  private readonly membership: Membership
  private ring: HeartbeatRing | undefined
  private closing: Promise<void> | undefined
  private resyncs = 0
  /** The resumption {@link NatsCluster.unreachable} started, while it runs. */
  private resuming: Promise<void> | undefined

  constructor(
    private readonly system: ActorSystem,
    private readonly remote: RemoteNode,
    private readonly settings: NatsClusterSettings,
  ) {
    this.logger = system.logger
    this.runtime = system.extensions.require(RUNTIME)
    const js = jetstream(settings.client, { timeout: settings.requestTimeoutMs })
    this.kvm = new Kvm(js)
    this.membersView = new MembersView({
      up: (member) => this.memberUp(member),
      down: (member, reason) => this.memberDown(member, reason),
    })
    this.namesView = new NamesView((name) => this.isCurrent(name))
    const timing = followerTiming(settings)
    this.membersFollower = new KvFollower(
      'the members',
      js,
      membersBucket(settings.prefix),
      (change) => this.membersView.apply(change),
      timing,
      this.logger,
    )
    this.namesFollower = new KvFollower(
      'the names',
      js,
      namesBucket(settings.prefix),
      (change) => this.namesView.apply(change),
      timing,
      this.logger,
    )
    this.membership = new Membership(
      { node: system.node, incarnation: settings.incarnation, members: () => this.open_().members },
      this.logger,
    )
    this.claims = new NameClaims(
      {
        node: system.node,
        incarnation: settings.incarnation,
        retryMs: settings.heartbeatIntervalMs,
        maxRetryMs: settings.memberTimeoutMs,
        names: () => this.open_().names,
        members: () => this.open_().members,
        memberRevision: () => this.membership.revision,
        refused: (name, ref, holder, why) => this.refused(name, ref, holder, why),
      },
      this.logger,
    )
  }

  async open(): Promise<void> {
    this.buckets = await openBuckets(this.kvm, this.settings.prefix, this.settings.replicas)
    await this.membersFollower.start()
    await this.namesFollower.start()
    await this.membership.join((node, revision) => this.forgetOwner(node, revision))
    this.ring = new HeartbeatRing(
      this.settings.client,
      { ...this.settings, node: this.system.node },
      {
        silent: (member, silentMs) =>
          void this.declareDown(member, `no heartbeat for ${Math.round(silentMs)} ms`),
        woke: (lateMs) =>
          void this.checkMembership(`this node was frozen or starved for ${Math.round(lateMs)} ms`),
      },
      this.logger,
    )
    this.ring.beat()
    this.ring.follow(this.membersView.list())
    const names = this.remote.runtime.names
    names.listener = this
    for (const [name, ref] of this.system.registered()) void this.claims.claim(name, ref)
    this.remote.registry = this
    this.system.extensions.set(CLUSTER, this)
    this.system.extensions.set(NATS_CLUSTER, this)
    void this.followStatus()
    // Leaves as the node closes, once its actors stopped: the others see their ends first.
    this.remote.beforeClose(() => this.close())
  }

  // ---- NameListener: the names of this node ----

  registered(name: string, ref: Ref): void {
    void this.claims.claim(name, ref)
  }

  unregistered(name: string, ref: Ref): void {
    void this.claims.release(name, ref)
  }

  // ---- RegistryClient: what findActor and waitForActor ask ----

  async find(name: string): Promise<Ref | undefined> {
    const found = this.namesView.find(name)
    return found === undefined ? undefined : this.remote.resolve(found.address)
  }

  /** Every name the cluster holds now, with its actor's address, sorted by name. */
  list(): { name: string; address: string }[] {
    return this.namesView.list().map(({ name, address }) => ({ name, address }))
  }

  wait(name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Ref> {
    const found = this.namesView.find(name)
    if (found !== undefined) return Promise.resolve(this.remote.resolve(found.address))
    return waitForEvent<Ref>(
      (deliver) => this.namesView.onFound(name, (entry) => deliver(this.remote.resolve(entry.address))),
      timeoutMs,
      signal,
      () => new ActorNotFoundError(name, timeoutMs),
    )
  }

  /** Node names over NATS carry no endpoint to look up: the transport reaches nodes by name. */
  async locate(_node: string): Promise<NodeEndpoint | undefined> {
    return undefined
  }

  // ---- ClusterHooks ----

  members(): ClusterMember[] {
    return this.membersView
      .list()
      .map(({ node, incarnation, since }) => ({ node, incarnation, since: new Date(since) }))
  }

  watching(): string[] {
    return this.ring?.watching ?? []
  }

  /** Leaves the cluster; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.leave()
    return this.closing
  }

  private async leave(): Promise<void> {
    this.ring?.stop()
    const names = this.remote.runtime.names
    if (names.listener === this) names.listener = null
    if (this.remote.registry === this) this.remote.registry = null
    this.system.extensions.delete(CLUSTER)
    this.system.extensions.delete(NATS_CLUSTER)
    try {
      if (!this.settings.client.isClosed()) {
        await this.claims.releaseAll()
        await this.membership.leave()
      }
    } catch (error) {
      this.logger.warn(
        { err: error },
        'could not say goodbye to the NATS cluster: the others will declare this node down',
      )
    } finally {
      this.membersFollower.stop()
      this.namesFollower.stop()
    }
  }

  // ---- members coming and going ----

  private memberUp(member: KnownMember): void {
    if (this.runtime.inspecting)
      this.runtime.emit({
        type: 'member-up',
        node: member.node,
        incarnation: member.incarnation,
        since: new Date(member.since),
      })
    this.ring?.follow(this.membersView.list())
    this.namesView.wakeAll()
  }

  private memberDown(member: KnownMember, reason: string): void {
    if (this.runtime.inspecting)
      this.runtime.emit({ type: 'member-down', node: member.node, incarnation: member.incarnation, reason })
    this.ring?.follow(this.membersView.list())
    if (member.node === this.system.node && member.revision === this.membership.revision) {
      void this.expelled(reason)
      return
    }
    if (member.node === this.system.node) return
    this.remote.declareNodeDown(
      member.node,
      member.incarnation,
      `it is no member of the NATS cluster now: ${reason}`,
    )
    try {
      this.settings.onMemberDown?.({ node: member.node, incarnation: member.incarnation, reason })
    } catch (error) {
      this.logger.error({ err: error }, 'an onMemberDown hook threw')
    }
  }

  /**
   * Declares a silent member down: deletes its member key (CAS: one declarer wins), then its names.
   * When the servers cannot be asked (JetStream electing a leader after a server was lost), the
   * ring reports the member again at its next tick while it stays silent.
   */
  private async declareDown(member: KnownMember, why: string): Promise<void> {
    if (this.closing !== undefined || this.membership.revision === undefined) return
    // Unreachable from here whatever the cluster decides: its watchers here get node-down and
    // what is sent to it fails fast at once, as over TCP when heartbeats stop; on the minority
    // side of a partition the cluster cannot be told at all.
    this.remote.declareNodeDown(member.node, member.incarnation, why)
    // A node that was itself declared down (frozen, cut off) does not judge others.
    const still = await this.membership.stillMember().catch(() => undefined)
    if (still === undefined) return this.unreachable(member)
    if (!still) return
    const outcome = await this.membership.expel(member)
    if (outcome === 'failed') return this.unreachable(member)
    if (outcome === 'lost') return
    this.logger.warn(`declared ${member.node} down: ${why}`)
    // The watch shows the delete too, but it may be served from beyond a partition and stall:
    // the declarer knows the member is gone, and says so at once.
    this.membersView.apply({
      key: encodeToken(member.node),
      value: new Uint8Array(0),
      revision: member.revision,
      deleted: true,
    })
    await this.forgetOwner(member.node, member.revision)
  }

  /**
   * The servers could not be asked whether `member` is down: JetStream may be electing, or this
   * node is on the minority side of a partition, where its watches may stall and where it may be
   * expelled unawares, with no reconnection to tell it. The member is judged again at the next
   * tick, and the soft state resumed (watches afresh, membership verified) once the servers answer.
   */
  private unreachable(member: KnownMember): void {
    this.ring?.reportAgain(member.node)
    this.resuming ??= this.resync().finally(() => {
      this.resuming = undefined
    })
  }

  /** Deletes the names `node` claimed as member revision `revision` (each by CAS). */
  private async forgetOwner(node: string, revision: number): Promise<void> {
    await Promise.all(
      this.namesView.ownedBy(node, revision).map((name) =>
        this.open_()
          .names.delete(encodeToken(name.name), { previousSeq: name.revision })
          .catch((error: unknown) =>
            this.logger.debug({ err: error }, `'${name.name}' changed before its delete`),
          ),
      ),
    )
  }

  /** Whether this node is still the member it joined as; if not, it treats itself as expelled. */
  private async checkMembership(why: string): Promise<void> {
    if (this.closing !== undefined) return
    const still = await this.membership.stillMember().catch(() => true)
    if (!still) await this.expelled(why)
  }

  /**
   * This node was declared down while it lived (frozen, cut off): its claims may belong to others
   * now. It stops acting as their owner, and joins again as a new member (claiming again only the
   * names that are still free) with its watches started afresh, trying until it succeeds: its own
   * server may never have dropped it (a partition), so no reconnection would come to try again.
   */
  private async expelled(why: string): Promise<void> {
    if (this.closing !== undefined || this.membership.revision === undefined) return
    this.dropMembership(why)
    await this.resync()
  }

  private dropMembership(why: string): void {
    this.membership.forget()
    this.claims.forgetRevisions()
    this.ring?.grace()
    this.logger.error(
      `${this.system.node} was expelled from the NATS cluster (${why}): it drops its claims and joins again as a new member`,
    )
  }

  private async rejoin(): Promise<void> {
    await this.membership.join((node, revision) => this.forgetOwner(node, revision))
    await this.claims.reclaimAll()
  }

  private refused(name: string, ref: Ref, holder: NameEntry | undefined, why: string): void {
    this.logger.warn(
      { name, holder: holder?.node },
      `the NATS cluster refused the name '${name}' to ${ref.address}: ${why}${holder === undefined ? '' : `, and findActor('${name}') finds ${holder.address}`}`,
    )
    // The name is the holder's in the whole cluster, here too: the local actor lives on without it.
    this.remote.runtime.names.unregister(name, ref)
  }

  // ---- the servers' state ----

  /** On each reconnection: buckets made again if lost, watches started afresh, this node's state put back. */
  private async followStatus(): Promise<void> {
    for await (const status of this.settings.client.status()) {
      if (this.closing !== undefined) return
      if (status.type === 'disconnect') this.ring?.grace(false)
      if (status.type === 'reconnect') {
        this.ring?.grace()
        void this.resync()
      }
    }
  }

  /**
   * Puts the soft state back (after a reconnection, or an expulsion), trying again until it
   * succeeds or a newer round takes over.
   */
  private async resync(): Promise<void> {
    const round = ++this.resyncs
    let pause = this.settings.heartbeatIntervalMs
    while (this.closing === undefined && round === this.resyncs) {
      try {
        await this.resyncOnce()
        return
      } catch (error) {
        this.logger.warn({ err: error }, `cannot resume the NATS cluster yet; next try in ${pause} ms`)
        await new Promise((resolve) => setTimeout(resolve, pause).unref())
        pause = Math.min(pause * 2, this.settings.memberTimeoutMs)
      }
    }
  }

  private async resyncOnce(): Promise<void> {
    this.buckets = await openBuckets(this.kvm, this.settings.prefix, this.settings.replicas)
    const members = this.membersView.beginResync()
    const names = this.namesView.beginResync()
    await this.membersFollower.start()
    await this.namesFollower.start()
    const state = this.membership.revision === undefined ? 'rejoined' : await this.membership.verify()
    if (state === 'rejoined') await this.rejoin()
    else if (state === 'expelled') {
      this.dropMembership('its member key was deleted while it was away')
      await this.rejoin()
    } else await this.claims.reclaimAll()
    this.logger.info(`resumed the NATS cluster (member key ${state})`)
    const sweep = setTimeout(() => {
      this.membersView.sweep(members)
      this.namesView.sweep(names)
    }, this.settings.resyncGraceMs)
    sweep.unref()
  }

  private isCurrent(name: NameEntry): boolean {
    const owner = this.membersView.get(name.node)
    return owner !== undefined && owner.revision === name.member && owner.incarnation === name.incarnation
  }

  private open_(): Buckets {
    if (this.buckets === undefined) throw new Error("the cluster's buckets are not open")
    return this.buckets
  }
}
