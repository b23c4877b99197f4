import { type ActorSystem, NodeDownError, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type { CounterMsg } from '../../fixtures/remote-node.ts'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'

const cookie = 'remote-test-cookie'
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

async function remoteNode(): Promise<{ node: string; proc: NodeProcess }> {
  const node = `b@127.0.0.1:${await freePort()}`
  const proc = startProcess(['test/fixtures/remote-node.ts', node, cookie])
  cleanups.push(() => proc.kill())
  await proc.waitFor('ready')
  return { node, proc }
}

async function localNode(options: { cookie?: string } = {}): Promise<ActorSystem> {
  const system = await start({
    node: `a@127.0.0.1:${await freePort()}`,
    cookie: options.cookie ?? cookie,
    logLevel: 'silent',
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 600,
  })
  cleanups.push(() => system.shutdown())
  return system
}

describe('nodes over TCP, in two processes', () => {
  it('talks to a named actor of another process by address', async () => {
    const { node } = await remoteNode()
    const a = await localNode()
    const other = a.refOf<CounterMsg>(`troupe://${node}/user/other`)
    for (let i = 1; i <= 1000; i++) other.tell({ type: 'inc', by: 1 })
    expect(await other.ask({ type: 'get' })).toBe(1000)
  })

  it('kill -9 of the other node is detected: watchers get node-down, asks reject', async () => {
    const { node, proc } = await remoteNode()
    const a = await localNode()
    const other = a.refOf<CounterMsg>(`troupe://${node}/user/other`)
    expect(await other.ask({ type: 'get' })).toBe(0)
    const down = a.watch(other)
    const t0 = performance.now()
    proc.child.kill('SIGKILL')
    expect((await down).reason).toBe('node-down')
    expect(performance.now() - t0).toBeLessThan(1000)
    await expect(other.ask({ type: 'get' })).rejects.toBeInstanceOf(NodeDownError)
  })

  it('SIGSTOP of the other node is detected by the heartbeat within its timeout', async () => {
    const { node, proc } = await remoteNode()
    const a = await localNode()
    const other = a.refOf<CounterMsg>(`troupe://${node}/user/other`)
    expect(await other.ask({ type: 'get' })).toBe(0)
    const down = a.watch(other)
    const t0 = performance.now()
    proc.child.kill('SIGSTOP')
    expect((await down).reason).toBe('node-down')
    const elapsed = performance.now() - t0
    expect(elapsed).toBeGreaterThanOrEqual(500)
    expect(elapsed).toBeLessThan(2000)
  })

  it('a wrong cookie is refused: nothing is delivered and the sender is told', async () => {
    const { node, proc } = await remoteNode()
    const a = await localNode({ cookie: 'not-the-right-cookie' })
    const other = a.refOf<CounterMsg>(`troupe://${node}/user/other`)
    const error = await other.ask({ type: 'get' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NodeDownError)
    expect(String(error)).toMatch(/cookie/)
    // The listener logs the refusal (rate-limited) as the handshake's end settles, which may
    // come after the sender has read the rejection.
    await proc.waitFor('cookie', 5_000)
  })
})
