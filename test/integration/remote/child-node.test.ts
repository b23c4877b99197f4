import type { ChildProcess } from 'node:child_process'
import type { Worker } from 'node:worker_threads'
import { type ActorSystem, type ChildNode, NodeDownError, start, startChildNode } from 'troupe'
import { describe, expect, it } from 'vitest'
import { remoteNodeOf } from '../../../src/remote/node/remote-node-of.ts'
import { Counter } from '../../fixtures/child-actors.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'
import { within } from '../transport/support.ts'

const actors = new URL('../../fixtures/child-actors.ts', import.meta.url).href
const { systems, children } = reapAfterEach()
const timings: Record<string, number[]> = { thread: [], process: [] }

async function parent(): Promise<ActorSystem> {
  const system = await start({ logLevel: 'silent' })
  system.expose({ Counter })
  systems.push(system)
  return system
}

async function child(system: ActorSystem, kind: 'thread' | 'process'): Promise<ChildNode> {
  const started = await within(
    startChildNode(system, { in: kind, modules: [actors], graceMs: 1_000 }),
    20_000,
    `a child ${kind}`,
  )
  children.push(started)
  return started
}

function kill(child: ChildNode): void {
  if (child.in === 'process') (child.handle as ChildProcess).kill('SIGKILL')
  else void (child.handle as Worker).terminate()
}

describe.each(['thread', 'process'] as const)('a child node in a %s', (kind) => {
  it('runs a Counter spawned from the parent: 100 tells, then an ask', async () => {
    const system = await parent()
    const before = performance.now()
    const node = await child(system, kind)
    expect(node.node).toMatch(/^child-[0-9a-f]{8}$/)
    expect(remoteNodeOf(system)).toBeDefined()
    const counter = system.spawn(Counter, { on: node.node, name: 'counter' })
    expect(counter.address).toBe(`troupe://${node.node}/user/counter`)
    expect(await counter.ask({ type: 'get' }, { timeout: 10_000 })).toBe(0)
    timings[kind]!.push(performance.now() - before)
    for (let by = 1; by <= 100; by++) counter.tell({ type: 'inc', by })
    expect(await counter.ask({ type: 'get' }, { timeout: 10_000 })).toBe(5050)
    // The child's remote failure crosses back: the counter restarts (default supervision).
    counter.tell({ type: 'crash' })
    expect(await counter.ask({ type: 'get' }, { timeout: 10_000 })).toBe(0)
  })

  it('tells the watchers of its actors node-down when it is killed, and fails pending asks', async () => {
    const system = await parent()
    const node = await child(system, kind)
    const counter = system.spawn(Counter, { on: node.node })
    expect(await counter.ask({ type: 'get' }, { timeout: 10_000 })).toBe(0)
    const watched = system.watch(counter)
    kill(node)
    const terminated = await within(watched, 10_000, 'Terminated')
    expect(terminated.reason).toBe('node-down')
    const exit = await within(node.exited, 10_000, 'the exit')
    if (kind === 'process') expect(exit.signal).toBe('SIGKILL')
    else expect(exit.code).toBe(1)
    await expect(counter.ask({ type: 'get' }, { timeout: 5_000 })).rejects.toBeInstanceOf(NodeDownError)
  })

  it('stop() ends the child cleanly, within its grace period', async () => {
    const system = await parent()
    const node = await child(system, kind)
    const counter = system.spawn(Counter, { on: node.node })
    expect(await counter.ask({ type: 'get' }, { timeout: 10_000 })).toBe(0)
    const watched = system.watch(counter)
    const before = performance.now()
    await within(node.stop(), 10_000, 'stop()')
    expect(performance.now() - before).toBeLessThan(1_000)
    expect(await node.exited).toEqual({ code: 0, signal: null })
    expect((await within(watched, 5_000, 'Terminated')).reason).toBe('node-down')
  })

  it('exits by itself when the parent system shuts down', async () => {
    const system = await parent()
    const node = await child(system, kind)
    const counter = system.spawn(Counter, { on: node.node })
    expect(await counter.ask({ type: 'get' }, { timeout: 10_000 })).toBe(0)
    await system.shutdown()
    expect(await within(node.exited, 5_000, 'the exit')).toEqual({ code: 0, signal: null })
  })

  it('rejects when a module fails to load in the child', async () => {
    const system = await parent()
    const broken = new URL('../../fixtures/child-broken.ts', import.meta.url).href
    const error = await within(
      startChildNode(system, { in: kind, modules: [broken] }).catch((thrown: unknown) => thrown),
      20_000,
      'the failure',
    )
    expect(error).toBeInstanceOf(Error)
    const text = `${String(error)} ${String((error as Error).cause)}`
    expect(text).toMatch(kind === 'process' ? /exited with code 1/ : /refuses to load/)
  })
})

describe('startChildNode', () => {
  it('works from a plain local system: it attaches a node-to-node layer without a port', async () => {
    const system = await start({ logLevel: 'silent' })
    systems.push(system)
    expect(remoteNodeOf(system)).toBeUndefined()
    const node = await child(system, 'thread')
    expect(remoteNodeOf(system)).toBeDefined()
    expect(node.node).not.toMatch(/@/)
  })

  it('refuses bad options', async () => {
    const system = await parent()
    await expect(startChildNode(system, { in: 'fiber' as 'thread' })).rejects.toThrow(/'thread' or 'process'/)
    await expect(startChildNode(system, { in: 'thread', name: 'a@127.0.0.1:1' })).rejects.toThrow(/name/)
    await expect(startChildNode(system, { in: 'thread', modules: ['https://x/y.ts'] })).rejects.toThrow(
      /file URLs/,
    )
  })

  it('reports the time from start to the first successful ask', () => {
    console.log(`child node start → first ask (ms): ${JSON.stringify(timings)}`)
  })
})
