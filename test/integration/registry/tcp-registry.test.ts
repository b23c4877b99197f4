import { type ActorSystem, listActors, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type { CounterMsg } from '../../fixtures/registry-node.ts'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'

const cookie = 'registry-test-cookie'
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

/** A node in its own process: `registry` is 'true' to host the registry, else the root's host:port. */
async function nodeProcess(
  name: string,
  registry: string,
  actorName?: string,
): Promise<{ node: string; proc: NodeProcess }> {
  return nodeProcessAt(`${name}@127.0.0.1:${await freePort()}`, registry, actorName)
}

async function nodeProcessAt(
  node: string,
  registry: string,
  actorName?: string,
): Promise<{ node: string; proc: NodeProcess }> {
  const args = ['test/fixtures/registry-node.ts', node, registry, cookie]
  const proc = startProcess(actorName === undefined ? args : [...args, actorName])
  cleanups.push(() => proc.kill())
  await proc.waitFor('ready')
  return { node, proc }
}

/** A root node process hosting the registry, and a worker node process running `other`. */
async function cluster() {
  const root = await nodeProcess('root', 'true')
  const registry = root.node.slice(root.node.indexOf('@') + 1)
  const worker = await nodeProcess('worker', registry, 'other')
  const system = await start({
    node: `test@127.0.0.1:${await freePort()}`,
    registry,
    cookie,
    logLevel: 'silent',
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 600,
    reconnectMinMs: 50,
    reconnectMaxMs: 500,
  })
  cleanups.push(() => system.shutdown())
  return { root, worker, system, registry }
}

async function findOther(system: ActorSystem) {
  const other = await system.waitForActor<CounterMsg>('other', { timeout: 10_000 })
  expect(await other.ask({ type: 'get' })).toBe(0)
  return other
}

describe('the cluster registry over TCP, in three processes', () => {
  it('finds an actor of another process by name and asks it', async () => {
    const { root, worker, system } = await cluster()
    const other = await findOther(system)
    expect(other.address).toBe(`troupe://${worker.node}/user/other`)
    other.tell({ type: 'inc', by: 3 })
    expect(await other.ask({ type: 'get' })).toBe(3)
    expect(await listActors(system)).toEqual([
      { name: 'other', address: other.address, node: worker.node },
      { name: 'registry', address: `troupe://${root.node}/user/registry`, node: root.node },
    ])
  })

  it('kill -9 of the worker removes its entries', async () => {
    const { root, worker, system } = await cluster()
    await findOther(system)
    const t0 = performance.now()
    worker.proc.child.kill('SIGKILL')
    await root.proc.waitFor(`forgot 'other'`, 5_000)
    // The socket closes with the process: faster than the heartbeat timeout (600 ms).
    expect(performance.now() - t0).toBeLessThan(1_000)
    expect(await system.findActor('other')).toBeUndefined()
  })

  it('a stopped (SIGSTOP) worker is dropped by the heartbeat within its timeout', async () => {
    const { root, worker, system } = await cluster()
    await findOther(system)
    const t0 = performance.now()
    worker.proc.child.kill('SIGSTOP')
    await root.proc.waitFor(`forgot 'other'`, 5_000)
    const elapsed = performance.now() - t0
    expect(elapsed).toBeGreaterThanOrEqual(500)
    expect(elapsed).toBeLessThan(2_000)
    expect(await system.findActor('other')).toBeUndefined()
  })

  it('when the root node restarts, the other nodes join it again and register their names again', async () => {
    const { root, worker, system } = await cluster()
    await findOther(system)
    await root.proc.kill()
    // the same root node, in a new process, at the same address: empty until the others join again
    const again = await nodeProcessAt(root.node, 'true')
    await again.proc.waitFor(`node ${worker.node} joined`, 10_000)
    await again.proc.waitFor(`node ${system.node} joined`, 10_000)
    const other = await findOther(system)
    expect(other.address).toBe(`troupe://${worker.node}/user/other`)
  })
})
