import type { KV, KvWatchEntry } from '@nats-io/kv'
import type { QueuedIterator } from '@nats-io/nats-core'
import type { Logger } from 'pino'

/** One change of a bucket, as a watch shows it: a put, or a delete (or purge) of `key`. */
export interface BucketChange {
  readonly key: string
  readonly value: Uint8Array
  readonly revision: number
  readonly deleted: boolean
}

/**
 * Follows every key of one bucket with a KV watch (one wildcard filter: what nats-server 2.9
 * allows), from the last value of each key on. After a server restart an ordered consumer may
 * never deliver again (its stream was recreated under it), so the owner starts it afresh on each
 * reconnection with {@link KvFollower.start}.
 */
export class KvFollower {
  private watch: QueuedIterator<KvWatchEntry> | undefined
  private stopped = false

  constructor(
    private readonly what: string,
    private readonly onChange: (change: BucketChange) => void,
    private readonly logger: Logger,
  ) {}

  /** (Re)starts the watch on `kv`; resolves once it is subscribed. */
  async start(kv: KV): Promise<void> {
    this.watch?.stop()
    this.watch = undefined
    if (this.stopped) return
    const watch = await kv.watch({ key: '>' })
    if (this.stopped) {
      watch.stop()
      return
    }
    this.watch = watch
    void this.follow(watch)
  }

  stop(): void {
    this.stopped = true
    this.watch?.stop()
    this.watch = undefined
  }

  private async follow(watch: QueuedIterator<KvWatchEntry>): Promise<void> {
    try {
      for await (const entry of watch) {
        this.onChange({
          key: entry.key,
          value: entry.value,
          revision: entry.revision,
          deleted: entry.operation !== 'PUT',
        })
      }
    } catch (error) {
      if (!this.stopped && this.watch === watch)
        this.logger.warn({ err: error }, `the watch of ${this.what} ended; it restarts on reconnection`)
    }
  }
}
