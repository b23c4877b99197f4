import fastify, { type FastifyInstance } from 'fastify'
import { type ActorSystem, defineActor, failAfter, start } from 'troupe'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type DashboardPlugin,
  type Delta,
  dashboardPlugin,
  type RowPage,
} from '../../../src/gateway/dashboard/index.ts'

/** 10,000 actors: 100 parents of 99 children each, plus one more parent of 100. */
const Leaf = defineActor<string>({ receive: () => {} })
const Parent = defineActor<string>({
  started: (_, ctx) => {
    for (let i = 0; i < 99; i++) ctx.spawn(Leaf)
  },
  receive: () => {},
})

let system: ActorSystem
let app: FastifyInstance
let dashboard: DashboardPlugin
let base: string

beforeEach(async () => {
  system = await start({ logLevel: 'silent' })
  for (let i = 0; i < 100; i++) system.spawn(Parent, { name: `parent-${i}` })
  app = fastify({ forceCloseConnections: true })
  dashboard = dashboardPlugin(system, { intervalMs: 250 })
  await app.register(dashboard)
  base = await app.listen({ host: '127.0.0.1', port: 0 })
})

afterEach(async () => {
  await app?.close()
  await system?.shutdown()
})

/** The JSON of a GET, and how long it took. */
async function timed<T>(path: string): Promise<{ body: T; ms: number }> {
  const started = performance.now()
  const response = await fetch(base + path)
  expect(response.status, path).toBe(200)
  const body = (await response.json()) as T
  return { body, ms: performance.now() - started }
}

describe('the dashboard with 10,000 actors', () => {
  it('answers a page of the tree, and the top lists, without sending the whole tree', async () => {
    const roots = await timed<RowPage>('/dashboard/api/children?parent=/user&limit=100')
    expect([roots.body.total, roots.body.rows.length]).toEqual([100, 100])
    const children = await timed<RowPage>(
      '/dashboard/api/children?parent=/user/parent-42&offset=50&limit=100',
    )
    expect([children.body.total, children.body.rows.length]).toEqual([99, 49])
    const flat = await timed<RowPage>('/dashboard/api/actors?order=path&offset=9900&limit=500')
    expect([flat.body.total, flat.body.rows.length]).toEqual([10_000, 100])
    const top = await timed<{ queued: unknown[]; restarts: unknown[]; rate: unknown[] }>('/dashboard/api/top')
    expect(top.body).toEqual({ queued: [], restarts: [], rate: [] })
    // Generous bounds for a shared machine: the point is that no answer grows with the tree.
    for (const { ms } of [roots, children, flat, top]) expect(ms).toBeLessThan(2_000)
    expect(JSON.stringify(children.body).length).toBeLessThan(20_000)
  })

  it('streams a spawn within 1 s while watched', async () => {
    const abort = new AbortController()
    const stream = await fetch(`${base}/dashboard/api/events`, { signal: abort.signal })
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    const seen = (async () => {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) throw new Error('the stream ended')
        buffer += value
        const match = /event: delta\ndata: (.*)\n\n/.exec(buffer)
        if (match !== null) {
          buffer = buffer.slice(match.index + match[0].length)
          const delta = JSON.parse(match[1]!) as Delta
          if (delta.spawned.some((row) => row.path === '/user/newcomer')) return delta
        }
      }
    })()
    await failAfter(5_000, async () => {
      while (!dashboard.inspecting) await new Promise((resolve) => setTimeout(resolve, 5))
    })
    system.spawn(Leaf, { name: 'newcomer' })
    const delta = await failAfter(1_000, () => seen)
    expect(delta.actors).toBe(10_001)
    abort.abort()
  })
})
