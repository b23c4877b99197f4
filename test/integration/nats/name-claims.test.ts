import { jetstream } from '@nats-io/jetstream'
import { type KV, Kvm } from '@nats-io/kv'
import { connect } from '@nats-io/transport-node'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { Ref } from '../../../src/core/ref.ts'
import { decodeName, encodeEntry, type NameEntry } from '../../../src/registry/nats/entries.ts'
import { encodeToken } from '../../../src/registry/nats/keys.ts'
import { NameClaims } from '../../../src/registry/nats/name-claims.ts'
import { natsServerVersion, startNatsServer } from '../../support/nats-server.ts'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

const ref = { address: 'troupe://me@127.0.0.1:1/x' } as Ref
const stale: NameEntry = {
  node: 'gone@127.0.0.1:2',
  incarnation: 'i-gone',
  address: 'troupe://gone/x',
  member: 7,
}
const X = encodeToken('x')
const rival: NameEntry = {
  node: 'rival@127.0.0.1:3',
  incarnation: 'i-rival',
  address: 'troupe://rival/x',
  member: 1,
}

async function buckets() {
  const nats = await startNatsServer()
  cleanups.push(() => nats.stop())
  const client = await connect({ servers: nats.url })
  cleanups.push(() => client.close())
  const kvm = new Kvm(jetstream(client))
  const names = await kvm.create('claims-names', { history: 1 })
  const members = await kvm.create('claims-members', { history: 1 })
  // This node is member revision 1; the stale holder's member key is gone.
  await members.create(encodeToken('me'), encodeEntry({ node: 'me', incarnation: 'i-me', since: 0 }))
  return { names, members }
}

/** `kv`, with `before` run once just before the first call of `method`: another writer's turn. */
function interleaved(kv: KV, method: 'delete' | 'create', before: () => Promise<unknown>): KV {
  let done = false
  return new Proxy(kv, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (key !== method || typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        if (!done) {
          done = true
          await before()
        }
        return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
      }
    },
  })
}

function claimsOn(names: KV, members: KV) {
  const refusals: string[] = []
  const claims = new NameClaims(
    {
      node: 'me',
      incarnation: 'i-me',
      retryMs: 50,
      maxRetryMs: 200,
      names: () => names,
      members: () => members,
      memberRevision: () => 1,
      refused: (_name, _ref, holder, why) => refusals.push(`${holder?.node ?? '-'}: ${why}`),
    },
    pino({ level: 'silent' }),
  )
  return { claims, refusals }
}

describe.skipIf(natsServerVersion() === undefined)('claims of names in the cluster', () => {
  it('takes over a stale claim that a declarer deletes at the same moment', async () => {
    const { names, members } = await buckets()
    const seq = await names.create(X, encodeEntry(stale))
    // The declarer of the stale holder's death deletes its names just before this node does.
    const racing = interleaved(names, 'delete', () => names.delete(X, { previousSeq: seq }))
    const { claims, refusals } = claimsOn(racing, members)
    await claims.claim('x', ref)
    expect(refusals).toEqual([])
    expect(decodeName((await names.get(X))!.value)?.node).toBe('me')
    expect(claims.entries()).toEqual([['x', ref]])
  })

  it('refuses a name a live rival creates between the read and the create, naming the rival', async () => {
    const { names, members } = await buckets()
    const rivalMember = await members.create(encodeToken(rival.node), encodeEntry({ ...rival, since: 0 }))
    const racing = interleaved(names, 'create', () =>
      names.create(X, encodeEntry({ ...rival, member: rivalMember })),
    )
    const { claims, refusals } = claimsOn(racing, members)
    await claims.claim('x', ref)
    expect(refusals).toEqual([`${rival.node}: ${rival.node} holds it`])
    expect(decodeName((await names.get(X))!.value)?.node).toBe(rival.node)
    expect(claims.entries()).toEqual([])
  })
})
