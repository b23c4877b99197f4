import { failAfter, type Terminated } from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { type Opened, openGateway, problemOf } from './support.ts'

interface Page {
  actors: { name: string }[]
  next?: number
}

const opened: Opened[] = []
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((o) => o.close()))
})
async function gateway(options: Parameters<typeof openGateway>[0] = {}) {
  const o = await openGateway(options)
  opened.push(o)
  return o
}

describe('the gateway routes', () => {
  it('spawns, tells, asks, snapshots, lists and kills an actor', async () => {
    const { call, system } = await gateway()
    const put = await call('/actors/c1', { method: 'PUT', body: { type: 'counter', args: 5 } })
    expect(put.status).toBe(201)
    expect(put.headers.get('location')).toBe('/actors/c1')
    expect(await put.json()).toEqual({ name: 'c1', address: 'troupe://local/user/c1' })

    const tell = await call('/actors/c1', { method: 'POST', body: { type: 'add', n: 2 } })
    expect(tell.status).toBe(202)
    expect(await tell.json()).toMatchObject({ name: 'c1', accepted: true })

    const ask = await call('/actors/c1?ask=1', { method: 'POST', body: { type: 'get' } })
    expect(ask.status).toBe(200)
    expect(await ask.json()).toBe(7)

    const snapshot = await call('/actors/c1')
    expect(snapshot.status).toBe(200)
    expect(await snapshot.json()).toEqual({
      name: 'c1',
      address: 'troupe://local/user/c1',
      snapshot: { count: 7 },
    })

    const list = await call('/actors')
    expect(await list.json()).toEqual({
      actors: [{ name: 'c1', address: 'troupe://local/user/c1', node: 'local' }],
      total: 1,
      limit: 100,
      offset: 0,
    })

    const ref = system.localActor('c1')
    expect(ref).toBeDefined()
    const watched = system.watch(ref!)
    const killed = await call('/actors/c1', { method: 'DELETE' })
    expect(killed.status).toBe(200)
    expect(await killed.json()).toEqual({ name: 'c1', address: 'troupe://local/user/c1', reason: 'killed' })
    const terminated: Terminated = await failAfter(5_000, () => watched)
    expect(terminated.reason).toBe('killed')
    expect((await problemOf(await call('/actors/c1'))).type).toBe('urn:troupe:gateway:actor-not-found')
  })

  it('asks with a string reply and sends it as JSON', async () => {
    const { call } = await gateway()
    await call('/actors/e', { method: 'PUT', body: { type: 'echo' } })
    const ask = await call('/actors/e?ask=true', { method: 'POST', body: 'hello' })
    expect(ask.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await ask.json()).toBe('hello')
  })

  it('pages the actor list with limit and offset', async () => {
    const { call } = await gateway()
    for (const name of ['a', 'b', 'c'])
      await call(`/actors/${name}`, { method: 'PUT', body: { type: 'echo' } })
    const first = (await (await call('/actors?limit=2')).json()) as Page
    expect(first).toMatchObject({ total: 3, limit: 2, offset: 0, next: 2 })
    expect(first.actors.map((a) => a.name)).toEqual(['a', 'b'])
    const second = (await (await call('/actors?limit=2&offset=2')).json()) as Page
    expect(second.actors.map((a) => a.name)).toEqual(['c'])
    expect(second.next).toBeUndefined()
    expect((await call('/actors?limit=0')).status).toBe(400)
    expect((await call('/actors?limit=5000')).status).toBe(400)
  })

  it('answers GET /nodes and GET /health (the latter without a token)', async () => {
    const { call, gateway: gw } = await gateway()
    const nodes = (await (await call('/nodes')).json()) as { nodes: unknown[] }
    expect(nodes.nodes).toEqual([expect.objectContaining({ node: 'local', self: true })])
    const health = await fetch(`${gw.url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', node: 'local' })
  })

  it('refuses what it cannot do, each with a problem that says why', async () => {
    const { call } = await gateway()
    await call('/actors/c1', { method: 'PUT', body: { type: 'counter' } })

    const taken = await call('/actors/c1', { method: 'PUT', body: { type: 'counter' } })
    expect(taken.status).toBe(409)
    expect((await problemOf(taken)).type).toBe('urn:troupe:gateway:name-taken')

    const unknown = await call('/actors/x', { method: 'PUT', body: { type: 'rocket' } })
    expect(unknown.status).toBe(400)
    const problem = await problemOf(unknown)
    expect(problem).toMatchObject({ type: 'urn:troupe:gateway:unknown-type', instance: '/actors/x' })
    expect(problem.detail).toContain("'counter', 'echo'")

    const badArgs = await call('/actors/x', { method: 'PUT', body: { type: 'counter', args: 'many' } })
    expect(badArgs.status).toBe(422)
    expect((await problemOf(badArgs)).detail).toContain('expected an integer start')

    const extra = await call('/actors/x', { method: 'PUT', body: { type: 'counter', evil: true } })
    expect(extra.status).toBe(400)
    expect((await problemOf(extra)).detail).toContain('additional properties')

    const noType = await call('/actors/x', { method: 'PUT', body: { args: 1 } })
    expect((await problemOf(noType)).detail).toContain("required property 'type'")

    const missing = await call('/actors/nobody?ask=1', { method: 'POST', body: { type: 'get' } })
    expect(missing.status).toBe(404)
    expect((await problemOf(missing)).type).toBe('urn:troupe:gateway:actor-not-found')

    const route = await call('/nowhere')
    expect(route.status).toBe(404)
    expect((await problemOf(route)).type).toBe('urn:troupe:gateway:not-found')
  })

  it('answers 504 when the actor does not reply within the ask timeout', async () => {
    const { call } = await gateway()
    await call('/actors/c1', { method: 'PUT', body: { type: 'counter' } })
    const started = performance.now()
    const ask = await call('/actors/c1?ask=1&timeout=100', { method: 'POST', body: { type: 'ignore' } })
    expect(ask.status).toBe(504)
    expect(performance.now() - started).toBeLessThan(3_000)
    expect((await problemOf(ask)).detail).toContain('longer ?timeout=ms')
    const tooLong = await call('/actors/c1?ask=1&timeout=999999999', {
      method: 'POST',
      body: { type: 'get' },
    })
    expect(tooLong.status).toBe(400)
  })

  it("answers the actor's failure as a problem, and the actor keeps serving", async () => {
    const { call } = await gateway()
    await call('/actors/c1', { method: 'PUT', body: { type: 'counter', args: 3 } })
    const boom = await call('/actors/c1?ask=1', { method: 'POST', body: { type: 'boom' } })
    expect(boom.status).toBe(500)
    const problem = await problemOf(boom)
    expect(problem.type).toBe('urn:troupe:gateway:actor-failed')
    expect(problem.detail).toContain('counter exploded on purpose')
    // Restarted by its supervisor, from its args.
    const get = await call('/actors/c1?ask=1', { method: 'POST', body: { type: 'get' } })
    expect(await get.json()).toBe(3)
  })

  it('answers 404 no-snapshot for an actor without a snapshot', async () => {
    const { call } = await gateway()
    await call('/actors/e', { method: 'PUT', body: { type: 'echo' } })
    const snapshot = await call('/actors/e')
    expect(snapshot.status).toBe(404)
    const problem = await problemOf(snapshot)
    expect(problem.type).toBe('urn:troupe:gateway:no-snapshot')
    expect(problem.detail).toContain('snapshot(state)')
  })

  it('spawns nothing when no types are given', async () => {
    const { call } = await gateway({ types: {} })
    const put = await call('/actors/c1', { method: 'PUT', body: { type: 'counter' } })
    expect(put.status).toBe(400)
    expect((await problemOf(put)).detail).toContain('start it with types')
  })
})
