import type { NatsConnection, Status } from '@nats-io/nats-core'

/**
 * Bounds what a node queues for NATS while its client is disconnected. The client keeps every
 * message published meanwhile in memory, with no bound, and sends them once it reconnects; a node
 * that goes on sending through a long outage would grow without end. This counts the bytes
 * published since the disconnection and calls `overflow` once they pass `maxQueuedBytes`, so that
 * the transport closes its connections (what is sent to their nodes then fails fast) rather than
 * queue more. A reconnection starts the count again.
 */
export class OfflineQueue {
  private disconnected = false
  private queued = 0
  private overflowed = false

  constructor(
    client: NatsConnection,
    private readonly maxQueuedBytes: number,
    private readonly overflow: (queuedBytes: number) => void,
  ) {
    void this.follow(client)
  }

  /** Counts `bytes` just published: queued in memory if the client is disconnected. */
  published(bytes: number): void {
    if (!this.disconnected) return
    this.queued += bytes
    if (this.queued > this.maxQueuedBytes && !this.overflowed) {
      this.overflowed = true
      this.overflow(this.queued)
    }
  }

  private async follow(client: NatsConnection): Promise<void> {
    for await (const status of client.status() as AsyncIterable<Status>) {
      if (status.type === 'disconnect') this.disconnected = true
      else if (status.type === 'reconnect') {
        this.disconnected = false
        this.queued = 0
        this.overflowed = false
      }
    }
  }
}
