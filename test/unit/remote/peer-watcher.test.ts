import { defineActor } from 'troupe'
import { withTestSystem } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import { localActor } from '../../../src/core/delivery.ts'
import type { ActorSystem } from '../../../src/core/system.ts'
import { PeerWatcher, type WatcherHost } from '../../../src/remote/node/peer-watcher.ts'
import type { Trust } from '../../../src/remote/node/trust.ts'
import type { Envelope } from '../../../src/wire/envelope.ts'

const Idle = defineActor<'noop', undefined>({ init: () => undefined, receive: () => undefined })

/** How many watchers the local actor at `ref` holds (what a lost peer must not leave behind). */
function watchersOf(ref: unknown): number {
  const cell = localActor(ref) as unknown as { extra: { watchers: Set<unknown> | null } | null }
  return cell.extra?.watchers?.size ?? 0
}

function peerOf(system: ActorSystem, sent: Envelope[]): PeerWatcher {
  const host: WatcherHost = {
    node: 'peer@127.0.0.1:1',
    system,
    trust: {} as Trust,
    down: false,
    newId: () => 1,
    send: (envelope) => sent.push(envelope),
    refOf: () => {
      throw new Error('not needed')
    },
    spawnFailure: () => undefined,
  }
  return new PeerWatcher(host)
}

describe('a peer watching an actor of this node', () => {
  it('leaves no watcher on the actor once it unwatches or is lost, however often it comes back', async () => {
    await withTestSystem(async (given) => {
      const system = given as unknown as ActorSystem
      const ref = system.spawn(Idle, { name: 'kept' })
      const sent: Envelope[] = []
      for (let i = 0; i < 5; i++) {
        const peer = peerOf(system, sent)
        peer.watched('7', ref.path)
        peer.watched('7', ref.path)
        expect(watchersOf(ref)).toBe(1)
        if (i % 2 === 0) peer.lost(new Error('gone'))
        else peer.unwatched('7', ref.path)
        expect(watchersOf(ref)).toBe(0)
      }
      // A peer still watching hears the stop, once.
      peerOf(system, sent).watched('8', ref.path)
      await system.stop(ref)
      expect(sent).toEqual([expect.objectContaining({ kind: 'terminated', watcher: '8', target: ref.path })])
    })
  })
})
