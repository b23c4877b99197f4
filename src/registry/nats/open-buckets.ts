import type { KV, Kvm } from '@nats-io/kv'
import { membersBucket, namesBucket } from './keys.ts'

/** How long joining waits for the buckets of a cluster whose servers just started (JetStream electing). */
const OPEN_BUCKETS_WITHIN_MS = 15_000

/** The cluster's two buckets. */
export interface Buckets {
  readonly names: KV
  readonly members: KV
}

/**
 * Opens (or makes) the cluster's buckets of names and members. A cluster whose servers just
 * started is still electing JetStream's leaders, and its first requests time out: they are tried
 * again, with backoff, for a while. A server without JetStream fails at once.
 */
export async function openBuckets(kvm: Kvm, prefix: string, replicas: number): Promise<Buckets> {
  const options = { history: 1, replicas }
  const deadline = performance.now() + OPEN_BUCKETS_WITHIN_MS
  for (let pause = 100; ; pause = Math.min(pause * 2, 1000)) {
    try {
      const names = await kvm.create(namesBucket(prefix), options)
      const members = await kvm.create(membersBucket(prefix), options)
      return { names, members }
    } catch (error) {
      if (!isTransient(error) || performance.now() + pause > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, pause))
    }
  }
}

/** A failure a JetStream that is electing its leaders gives: a timeout, or no leader yet. */
function isTransient(error: unknown): boolean {
  const text = `${(error as Error | undefined)?.name ?? ''} ${(error as Error | undefined)?.message ?? ''}`
  return /timeout|no suitable peers|leader|temporarily unavailable/i.test(text)
}
