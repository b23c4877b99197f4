import { type ActorSystem, CancelledError, RemoteActorError } from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { remoteNodeOf } from '../../../src/remote/node/remote-node-of.ts'
import type { RemoteRef } from '../../../src/remote/node/remote-ref.ts'
import { failing } from '../../fixtures/failing-functions.ts'
import { Host, lines } from '../../fixtures/portal-functions.ts'
import { startInProcessNode } from '../../support/in-process-node.ts'

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

/** Node `a` with a ref to an actor of node `b`, and a call from `a` to that actor's node. */
async function pair() {
  const net = new InProcessNetwork()
  const a = await startInProcessNode(net, 'a')
  const b = await startInProcessNode(net, 'b')
  systems.push(a, b)
  a.expose({ Host })
  b.expose({ Host })
  const host = a.spawn(Host, { on: b.node, name: 'host' }) as RemoteRef
  expect(await host.ask({ type: 'ping' })).toBe('pong')
  const call = (fn: { module: string; name: string }, args: unknown[], cancelOn: AbortSignal) =>
    remoteNodeOf(a)!.call(host, fn.module, fn.name, args, {
      timeout: 5_000,
      signal: new AbortController().signal,
      cancelOn,
    })
  return { a, host, call }
}

describe('a call cancelled with cancelOn', () => {
  it('cancels the function and waits for its answer: the cancellation it ended with', async () => {
    const { a, call } = await pair()
    const running = a.spawn<string>(async (self) => {
      await self.receive()
      cancel.abort()
    })
    const cancel = new AbortController()
    const error = await call(failing.waitForCancel, [running], cancel.signal).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(CancelledError)
  })

  it('keeps the failure of a function that fails before or after it sees the cancel', async () => {
    const { call } = await pair()
    const cancelled = AbortSignal.abort()
    const now = await call(lines.divide, [1, 0], cancelled).catch((e: unknown) => e)
    expect((now as RemoteActorError).cause).toBeInstanceOf(RangeError)
    const later = await call(lines.failLater, [], cancelled).catch((e: unknown) => e)
    expect((later as RemoteActorError).cause).toBeInstanceOf(RangeError)
  })

  it('resolves with the result of a function that returns anyway', async () => {
    const { call } = await pair()
    expect(await call(lines.sayHello, ['late'], AbortSignal.abort())).toBe('Hello, late!')
  })
})
