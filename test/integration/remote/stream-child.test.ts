import type { ChildProcess } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import {
  type ActorSystem,
  CancelledError,
  type ChildNode,
  defineActor,
  moveOnAfter,
  NodeDownError,
  openCancelScope,
  portalOf,
  start,
  startChildNode,
} from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { Host } from '../../fixtures/portal-functions.ts'
import { streams } from '../../fixtures/stream-functions.ts'
import { reapChildren } from '../../support/child-nodes.ts'
import { within } from '../transport/support.ts'

const modules = [
  new URL('../../fixtures/portal-functions.ts', import.meta.url).href,
  new URL('../../fixtures/stream-functions.ts', import.meta.url).href,
]
const systems: ActorSystem[] = []
const children: ChildNode[] = []

/** What the child's generators report, re-emitted here by type. */
const reports = new EventEmitter()
const Reporter = defineActor<{ type: string; pid: number }>({
  receive(state, message) {
    reports.emit(message.type, message)
    return state
  },
})

afterEach(async () => {
  reports.removeAllListeners()
  await reapChildren(children)
  await Promise.all(systems.splice(0).map((system) => system.shutdown()))
})

async function setUp() {
  const system = await start({ logLevel: 'silent' })
  systems.push(system)
  system.expose({ Host })
  const child = await within(
    startChildNode(system, { in: 'process', modules, graceMs: 1_000 }),
    20_000,
    'a child process',
  )
  children.push(child)
  const host = portalOf(system, system.spawn(Host, { on: child.node, name: 'host' }), { timeout: 10_000 })
  expect(await host.ask({ type: 'ping' })).toBe('pong')
  const reporter = system.spawn(Reporter, { name: 'reporter' })
  return { system, child, host, reporter }
}

describe('a portal stream from a child process', () => {
  it('streams forever until moveOnAfter cancels it, and the remote generator is cancelled', async () => {
    const { child, host, reporter } = await setUp()
    const finished = once(reports, 'finally', { signal: AbortSignal.timeout(5_000) })
    const began = Date.now()
    const seen: number[] = []
    const result = await moveOnAfter(1_000, async () => {
      for await (const item of host.stream(streams.forever, [reporter])) {
        seen.push(item.i)
        expect(item.actor).toBe(`troupe://${child.node}/user/host`)
      }
    })
    expect(result).toBeUndefined()
    expect(Date.now() - began).toBeLessThan(1_200)
    expect(seen.length).toBeGreaterThan(10)
    expect(seen).toEqual(seen.map((_, i) => i))
    const [report] = (await finished) as [{ pid: number }]
    expect(report.pid).toBe(child.id)
  })

  it('streams many items across the process boundary', async () => {
    const { host } = await setUp()
    const count = 20_000
    let next = 0
    const began = performance.now()
    for await (const i of host.stream(streams.numbers, [count])) {
      if (i !== next) expect.fail(`item ${i} came where ${next} was due`)
      next++
    }
    const ms = performance.now() - began
    expect(next).toBe(count)
    console.info(
      `stream across a process: ${Math.round((count / ms) * 1000)} items/s (${count} in ${Math.round(ms)} ms)`,
    )
  })

  it('cancels a run in the child from the ambient scope: the remote call signal aborts', async () => {
    const { child, host, reporter } = await setUp()
    const started = once(reports, 'started', { signal: AbortSignal.timeout(5_000) })
    const aborted = once(reports, 'aborted', { signal: AbortSignal.timeout(5_000) })
    const result = openCancelScope(async (scope) => {
      const call = host.run(streams.awaitCancel, [reporter])
      await started
      scope.cancel('changed my mind')
      return call
    })
    await expect(result).rejects.toBeInstanceOf(CancelledError)
    const [report] = (await aborted) as [{ pid: number }]
    expect(report.pid).toBe(child.id)
  })

  it('ends the loop with an error within 200 ms when the child is killed mid-stream', async () => {
    const { child, host } = await setUp()
    let killedAt = 0
    let count = 0
    const error = await (async () => {
      for await (const _ of host.stream(streams.forever)) {
        if (++count === 5) {
          killedAt = Date.now()
          ;(child.handle as ChildProcess).kill('SIGKILL')
        }
      }
    })().catch((e: unknown) => e)
    const took = Date.now() - killedAt
    expect(error).toBeInstanceOf(NodeDownError)
    expect(took).toBeLessThan(200)
  })
})
