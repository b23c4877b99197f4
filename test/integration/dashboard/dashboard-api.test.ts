import fastify, { type FastifyInstance } from 'fastify'
import { type ActorSystem, defineActor, failAfter, type Ref, start } from 'troupe'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type DashboardPlugin, type Delta, dashboardPlugin } from '../../../src/gateway/dashboard/index.ts'

/** An actor that keeps what it is told and answers `get`; `crash` throws. */
const Keeper = defineActor<string>({
  receive(_, message, ctx) {
    if (message === 'crash') throw new Error('asked to crash')
    if (message === 'get') ctx.reply('ok')
  },
})

/** Counts what it is told, and shows the count in its snapshot. */
const Tally = defineActor<string, number>({
  init: () => 0,
  receive: (n) => n + 1,
  snapshot: (n) => ({ told: n }),
})

let system: ActorSystem
let app: FastifyInstance
let dashboard: DashboardPlugin
let base: string

beforeEach(async () => {
  system = await start({ logLevel: 'silent' })
  // Forced: after an aborted stream, fetch's client leaves a spare connection that never sends a
  // request, which would hold close() for its idle timeout.
  app = fastify({ forceCloseConnections: true })
  dashboard = dashboardPlugin(system, { intervalMs: 100 })
  await app.register(dashboard)
  base = await app.listen({ host: '127.0.0.1', port: 0 })
})

afterEach(async () => {
  await app?.close()
  await system?.shutdown()
})

const get = async <T>(path: string): Promise<T> => {
  const response = await fetch(base + path)
  expect(response.status, path).toBe(200)
  return (await response.json()) as T
}

/** Reads an SSE stream's events until `until` accepts one, within the deadline. */
async function readEvents(
  response: Response,
  until: (event: string, data: unknown) => boolean,
): Promise<{ event: string; data: unknown }[]> {
  const seen: { event: string; data: unknown }[] = []
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return seen
    buffer += value
    let end = buffer.indexOf('\n\n')
    while (end >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      end = buffer.indexOf('\n\n')
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event === undefined || data === undefined) continue
      const parsed: unknown = JSON.parse(data)
      seen.push({ event, data: parsed })
      if (until(event, parsed)) {
        await reader.cancel()
        return seen
      }
    }
  }
}

describe('the dashboard API', () => {
  it('serves the page, its assets and a strict CSP', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'")
    const html = await page.text()
    expect(html).toContain('<script type="module" src="/dashboard/dashboard.js">')
    expect(html).not.toMatch(/<script>(?!<)/)
    for (const asset of ['/dashboard/dashboard.js', '/dashboard/dashboard.css']) {
      const response = await fetch(base + asset)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-security-policy')).toBe("default-src 'self'")
    }
  })

  it('serves the page elsewhere when told, and refuses bad options', async () => {
    const other = fastify()
    try {
      await other.register(dashboardPlugin(system, { pagePath: '/observer' }))
      const url = await other.listen({ host: '127.0.0.1', port: 0 })
      expect((await fetch(`${url}/observer`)).status).toBe(200)
      expect((await fetch(`${url}/`)).status).toBe(404)
    } finally {
      await other.close()
    }
    expect(() => dashboardPlugin(system, { intervalMs: 0 })).toThrow(/intervalMs/)
    expect(() => dashboardPlugin(system, { pagePath: 'observer' })).toThrow(/pagePath/)
  })

  it('returns the tree, a page at a time, and the top lists', async () => {
    const kids: Ref<string>[] = []
    for (let i = 0; i < 3; i++) kids.push(system.spawn(Keeper, { name: `kid-${i}` }))
    const many = system.spawn(
      defineActor<string>({
        started: (_, ctx) => {
          for (let i = 0; i < 250; i++) ctx.spawn(Keeper)
        },
        receive: () => {},
      }),
      { name: 'many' },
    )
    await kids[0]!.ask('get')

    const top = await get<{ total: number; rows: { path: string; childCount: number }[] }>(
      '/dashboard/api/children?parent=/user',
    )
    expect(top.rows.map((r) => r.path)).toEqual(['/user/kid-0', '/user/kid-1', '/user/kid-2', '/user/many'])
    expect(top.rows.find((r) => r.path === '/user/many')!.childCount).toBe(250)

    const first = await get<{ total: number; offset: number; rows: { path: string }[] }>(
      `/dashboard/api/children?parent=${encodeURIComponent(many.path)}&offset=0&limit=100`,
    )
    const third = await get<{ total: number; offset: number; rows: { path: string }[] }>(
      `/dashboard/api/children?parent=${encodeURIComponent(many.path)}&offset=200&limit=100`,
    )
    expect([first.total, first.rows.length, third.rows.length]).toEqual([250, 100, 50])
    expect(new Set([...first.rows, ...third.rows].map((r) => r.path)).size).toBe(150)

    const flat = await get<{ total: number; rows: unknown[] }>('/dashboard/api/actors?order=path&limit=10')
    expect([flat.total, flat.rows.length]).toEqual([254, 10])
    expect((await fetch(`${base}/dashboard/api/actors?limit=100000`)).status).toBe(400)

    // A mailbox that fills, and an actor restarted twice, head their top lists.
    const slow = system.spawn(
      defineActor<number>({ receive: () => new Promise((resolve) => setTimeout(resolve, 5_000)) }),
      { name: 'slow' },
    )
    for (let i = 0; i < 20; i++) slow.tell(i)
    const restartedTwice = new Promise<void>((resolve) => {
      let seen = 0
      const stop = system.inspect((e) => {
        if (e.type === 'restarted' && e.ref === kids[1] && ++seen === 2) {
          stop()
          resolve()
        }
      })
    })
    kids[1]!.tell('crash')
    await failAfter(2_000, async () => {
      while (system.actorCounters(kids[1]!)!.restarts < 1) await new Promise((r) => setImmediate(r))
    })
    kids[1]!.tell('crash')
    await failAfter(2_000, () => restartedTwice)
    const tops = await get<{
      queued: { path: string; queued: number }[]
      restarts: { path: string; restarts: number }[]
    }>('/dashboard/api/top')
    expect(tops.queued[0]).toMatchObject({ path: '/user/slow', queued: 19 })
    expect(tops.restarts[0]).toMatchObject({ path: '/user/kid-1', restarts: 2 })
  })

  it('delivers a delta within 1 s of a spawn, and inspects only while a viewer watches', async () => {
    const overview = () => get<{ viewers: number; inspecting: boolean }>('/dashboard/api/overview')
    expect(await overview()).toMatchObject({ viewers: 0, inspecting: false })
    expect([dashboard.viewers, dashboard.inspecting]).toEqual([0, false])

    const abort = new AbortController()
    const stream = await fetch(`${base}/dashboard/api/events`, { signal: abort.signal })
    expect(stream.headers.get('content-type')).toContain('text/event-stream')
    const reading = readEvents(
      stream,
      (event, data) => event === 'delta' && (data as Delta).spawned.length > 0,
    )
    expect(await overview()).toMatchObject({ viewers: 1, inspecting: true })

    const spawnedAt = performance.now()
    const ref = system.spawn(Keeper, { name: 'newcomer' })
    const events = await failAfter(1_000, () => reading)
    const delta = events.at(-1)!.data as Delta
    expect(performance.now() - spawnedAt).toBeLessThan(1_000)
    expect(events[0]!.event).toBe('hello')
    expect(delta.spawned).toEqual([expect.objectContaining({ path: ref.path, parent: '/user' })])
    expect(delta.actors).toBe(1)
    abort.abort()

    // The last viewer left: the subscription ends with it.
    await failAfter(2_000, async () => {
      while (dashboard.inspecting) await new Promise((r) => setTimeout(r, 10))
    })
    expect(await overview()).toMatchObject({ viewers: 0, inspecting: false })
  })

  it('reports kills, restarts and dead letters on the stream, and kills or restarts an actor', async () => {
    const victim = system.spawn(Keeper, { name: 'victim' })
    const phoenix = system.spawn(Keeper, { name: 'phoenix' })
    const abort = new AbortController()
    const stream = await fetch(`${base}/dashboard/api/events`, { signal: abort.signal })
    let stoppedSeen = false
    let restartSeen = false
    let deadLetterSeen = false
    const reading = readEvents(stream, (event, data) => {
      if (event !== 'delta') return false
      const delta = data as Delta
      stoppedSeen ||= delta.stopped.includes(victim.path)
      restartSeen ||= delta.changed.some(
        (r) => r.path === phoenix.path && r.restarts === 1 && r.lastError !== undefined,
      )
      deadLetterSeen ||= delta.newDeadLetters.some((d) => d.to === victim.path && d.message === '"too late"')
      return stoppedSeen && restartSeen && deadLetterSeen
    })
    await failAfter(1_000, async () => {
      while (!dashboard.inspecting) await new Promise((r) => setTimeout(r, 5))
    })
    const post = (path: string, body: unknown) =>
      fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const down = system.watch(victim)
    const kill = await post('/dashboard/api/actor/kill', { path: victim.path })
    expect(await kill.json()).toEqual({ path: victim.path, killed: true })
    expect((await down).reason).toBe('killed')
    expect(system.isAlive(victim)).toBe(false)
    victim.tell('too late')
    const restart = await post('/dashboard/api/actor/restart', { path: phoenix.path })
    expect(await restart.json()).toEqual({ path: phoenix.path, restarted: true })
    await failAfter(2_000, () => reading)
    expect(system.isAlive(phoenix)).toBe(true)
    const details = await get<{ restarts: number; lastError: string }>(
      `/dashboard/api/actor?path=${phoenix.path}`,
    )
    expect(details).toMatchObject({
      restarts: 1,
      lastError: 'CancelledError: restart requested',
      state: { none: 'its definition has no snapshot(state)' },
    })
    expect((await post('/dashboard/api/actor/kill', { path: '/user/nobody' })).status).toBe(404)
    abort.abort()
  })

  it('sends the messages per second of an actor whose rate alone changed as a [path, rate] pair', async () => {
    const busy = system.spawn(Keeper, { name: 'busy' })
    const abort = new AbortController()
    const stream = await fetch(`${base}/dashboard/api/events`, { signal: abort.signal })
    let busyRate = 0
    const reading = readEvents(stream, (event, data) => {
      if (event !== 'delta') return false
      const delta = data as Delta
      // Its queue stays empty (each message is handled at once): its rate alone changes.
      for (const [path, rate] of delta.rates) if (path === busy.path) busyRate = rate
      return busyRate > 0
    })
    const load = setInterval(() => busy.tell('tick'), 5)
    try {
      await failAfter(3_000, () => reading)
    } finally {
      clearInterval(load)
      abort.abort()
    }
    expect(busyRate).toBeGreaterThan(0)
  })

  it("shows an actor's state from its snapshot, taken between two messages", async () => {
    const tally = system.spawn(Tally, { name: 'tally' })
    for (let i = 0; i < 3; i++) tally.tell('one more')
    const details = await get<{ state: unknown }>(`/dashboard/api/actor?path=${tally.path}`)
    expect(details.state).toEqual({ snapshot: { told: 3 } })
  })

  it('ends the open streams when the server closes', async () => {
    const stream = await fetch(`${base}/dashboard/api/events`)
    const reading = readEvents(stream, () => false)
    await failAfter(5_000, () => app.close())
    await failAfter(2_000, () => reading)
    expect(dashboard.inspecting).toBe(false)
  })
})
