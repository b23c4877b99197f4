import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream'
import { createInbox, nanos } from '@nats-io/nats-core'
import type { Logger } from 'pino'

/** The header a KV write carries its operation in (`DEL`, `PURGE`; none for a put). */
const OPERATION = 'KV-Operation'

/** One change of a bucket, as a watch shows it: a put, or a delete (or purge) of `key`. */
export interface BucketChange {
  readonly key: string
  readonly value: Uint8Array
  readonly revision: number
  readonly deleted: boolean
}

/** How a {@link KvFollower} notices that its watch stalled, and how soon it tries again. */
export interface FollowerTiming {
  /** The server sends the watch a heartbeat when idle this often; two missed ones mean it stalled. */
  readonly idleHeartbeatMs: number
  /** The first pause before the watch is made again; it doubles after each failure… */
  readonly retryMs: number
  /** …up to this. */
  readonly maxRetryMs: number
}

/** One consumer of the bucket's stream and the iterator delivering it. */
interface Watch {
  readonly messages: ConsumerMessages
  name: string | undefined
}

/**
 * Follows every key of one bucket (one wildcard filter: what nats-server 2.9 allows), from the
 * last value of each key on. Not `kv.watch()`: its ordered consumer hears a heartbeat only every
 * 30 s and gives up on a stall after two missed ones, while a consumer on a server that died (its
 * stream's leader) just goes silent — for a client connected elsewhere no reconnection says so.
 * This watch asks for heartbeats every `idleHeartbeatMs`; when the library reports them missed
 * (or the consumer deleted, or a gap), it makes a new consumer from the revision after the last one
 * seen, again with backoff until the servers answer (a leader election can take seconds).
 * {@link start} starts afresh from the last values (after a reconnection: the bucket may be new).
 */
export class KvFollower {
  private readonly stream: string
  private readonly subjectPrefix: string
  private jsm: JetStreamManager | undefined
  private watch: Watch | undefined
  /** Bumped by each (re)start and by stop: an older attempt that sees it changed gives up. */
  private epoch = 0
  private lastRevision = 0
  private stopped = false

  constructor(
    private readonly what: string,
    private readonly js: JetStreamClient,
    bucket: string,
    private readonly onChange: (change: BucketChange) => void,
    private readonly timing: FollowerTiming,
    private readonly logger: Logger,
  ) {
    this.stream = `KV_${bucket}`
    this.subjectPrefix = `$KV.${bucket}.`
  }

  /** (Re)starts the watch from the last value of every key; resolves once the consumer exists. */
  async start(): Promise<void> {
    const epoch = ++this.epoch
    this.drop()
    if (this.stopped) return
    this.lastRevision = 0
    await this.open(epoch, undefined)
  }

  /** The name of the consumer the watch reads now, once it exists (to see where it is placed). */
  get consumer(): string | undefined {
    return this.watch?.name
  }

  stop(): void {
    this.stopped = true
    this.epoch++
    this.drop()
  }

  private async open(epoch: number, from: number | undefined): Promise<void> {
    this.jsm ??= await this.js.jetstreamManager(false)
    const config: Partial<ConsumerConfig> = {
      deliver_subject: createInbox(),
      filter_subject: `${this.subjectPrefix}>`,
      ack_policy: AckPolicy.None,
      flow_control: true,
      idle_heartbeat: nanos(this.timing.idleHeartbeatMs),
      mem_storage: true,
      num_replicas: 1,
      ...(from === undefined
        ? { deliver_policy: DeliverPolicy.LastPerSubject }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from }),
    }
    // Subscribed before the consumer exists, so its first messages find someone listening.
    const consumer = await this.js.consumers.getBoundPushConsumer({
      deliver_subject: config.deliver_subject!,
      idle_heartbeat: config.idle_heartbeat!,
    })
    let expected = 1
    let watch: Watch | undefined
    const messages = await consumer.consume({
      callback: (message) => {
        if (watch === undefined || this.watch !== watch) return
        if (message.info.deliverySequence !== expected) {
          this.restart(
            epoch,
            `a gap in its deliveries (${expected} expected, got ${message.info.deliverySequence})`,
          )
          return
        }
        expected++
        this.deliver(message)
      },
    })
    watch = { messages, name: undefined }
    if (epoch !== this.epoch) {
      void messages.close()
      return
    }
    this.watch = watch
    void this.monitor(epoch, watch)
    try {
      const info = await this.jsm.consumers.add(this.stream, config)
      watch.name = info.name
    } catch (error) {
      if (this.watch === watch) this.drop()
      throw error
    }
    if (epoch !== this.epoch) this.drop(watch)
  }

  private deliver(message: JsMsg): void {
    const operation = message.headers?.get(OPERATION) ?? 'PUT'
    this.lastRevision = message.seq
    this.onChange({
      key: message.subject.slice(this.subjectPrefix.length),
      value: message.data,
      revision: message.seq,
      deleted: operation === 'DEL' || operation === 'PURGE',
    })
  }

  /** Restarts the watch when the library says its consumer stalled or is gone. */
  private async monitor(epoch: number, watch: Watch): Promise<void> {
    for await (const status of watch.messages.status()) {
      if (this.watch !== watch) return
      // Before its consumer exists the watch hears nothing: only a watch that was following stalls.
      if (watch.name === undefined) continue
      if (status.type === 'heartbeats_missed' || status.type === 'consumer_deleted') {
        this.restart(
          epoch,
          status.type === 'consumer_deleted' ? 'its consumer was deleted' : 'it heard no heartbeat',
        )
        return
      }
    }
  }

  /** Makes the watch again from the revision after the last one seen, with backoff until it works. */
  private restart(epoch: number, why: string): void {
    if (epoch !== this.epoch || this.stopped) return
    const next = ++this.epoch
    this.drop()
    const from = this.lastRevision === 0 ? undefined : this.lastRevision + 1
    this.logger.warn(`the watch of ${this.what} stalled (${why}): making it again`)
    void this.retry(next, from)
  }

  private async retry(epoch: number, from: number | undefined): Promise<void> {
    let pause = this.timing.retryMs
    while (epoch === this.epoch && !this.stopped) {
      try {
        await this.open(epoch, from)
        if (epoch === this.epoch) this.logger.info(`the watch of ${this.what} follows again`)
        return
      } catch (error) {
        if (epoch !== this.epoch) return
        this.logger.warn({ err: error }, `cannot watch ${this.what} yet; next try in ${pause} ms`)
        await new Promise((resolve) => setTimeout(resolve, pause).unref())
        pause = Math.min(pause * 2, this.timing.maxRetryMs)
      }
    }
  }

  /** Stops the current watch and deletes its consumer (best effort: its server may be gone). */
  private drop(watch = this.watch): void {
    if (watch === undefined) return
    if (this.watch === watch) this.watch = undefined
    void watch.messages.close()
    if (watch.name !== undefined) this.jsm?.consumers.delete(this.stream, watch.name).catch(() => undefined)
  }
}
