import { request } from 'node:http'
import { BasicAuth, defineComponent, director, Http, type HttpOptions, Route, Transform } from 'troupe/flow'
import { describe, expect, it } from 'vitest'
import { onCleanup, signal, testSystem } from './support.ts'

/** An Http component wired through `stages` and back, started; resolves with its base URL. */
async function serve(
  stages: (flow: ReturnType<typeof director>, http: string) => string,
  options: HttpOptions = {},
) {
  const { system } = await testSystem()
  const flow = director(system)
  const http = Http({ timeoutMs: 2000, ...options })
  flow.add('http', http)
  const last = stages(flow, 'http')
  flow.connect(last, 'http')
  await flow.start()
  onCleanup(() => flow.stop({ drainTimeoutMs: 2000 }))
  const { host, port } = http.address()!
  return { url: `http://${host}:${port}`, flow }
}

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

describe('Http: a request becomes an event, the event back its response', () => {
  it('a path no Route serves gets 404 at once, naming the routes; the others are served', async () => {
    const { url } = await serve((flow, http) => {
      const route = flow.add('route', Route({ square: (event) => event.meta.path === '/square' }))
      const square = flow.add(
        'square',
        Transform((body: { n: number }) => body.n * body.n),
      )
      flow.connect(http, route).connect(route.out('square'), square)
      flow.connectError(route, http)
      return 'square'
    })
    const started = performance.now()
    const missing = await fetch(`${url}/nope`, json({ n: 3 }))
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({
      error: "no route for POST /nope: the routes are 'square'",
      component: 'route',
    })
    expect(performance.now() - started).toBeLessThan(1000)
    const served = await fetch(`${url}/square`, json({ n: 3 }))
    expect(await served.json()).toBe(9)
  })

  // A plain path is taken as it is, without `new URL`: it must come out as `new URL` makes it.
  it('puts the path and query of the URL in meta as new URL reads them, dot segments and all', async () => {
    const { url } = await serve((flow, http) => {
      flow.add(
        'echo',
        Transform((_body: unknown, event) => ({ path: event.meta.path, query: event.meta.query })),
      )
      flow.connect(http, 'echo')
      return 'echo'
    })
    // Sent as written (fetch would resolve the dot segments itself).
    const get = (path: string) =>
      new Promise<unknown>((resolve, reject) => {
        request(`${url}${path}`, (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => {
            text += chunk
          })
          response.on('end', () => resolve(JSON.parse(text)))
        })
          .on('error', reject)
          .end()
      })
    const paths = ['/plain', '/orders/7?x=1&y=two', '/a/./b/../c', '/a/%2e%2e/d', '/caf%C3%A9', '/x//y/', '/']
    for (const path of paths) {
      const expected = new URL(path, 'http://localhost')
      expect(await get(path)).toEqual({
        path: expected.pathname,
        query: Object.fromEntries(expected.searchParams),
      })
    }
  })

  it('answers JSON with JSON, text with text, with the status and headers the event sets', async () => {
    const { url } = await serve((flow, http) => {
      const t = flow.add(
        't',
        Transform((body: unknown, event) => ({ got: body, path: event.meta.path })),
      )
      flow.connect(http, t)
      return 't'
    })
    const reply = await fetch(`${url}/orders/7?x=1`, json({ n: 1 }))
    expect(reply.status).toBe(200)
    expect(await reply.json()).toEqual({ got: { n: 1 }, path: '/orders/7' })

    const { url: url2 } = await serve((flow, http) => {
      const t = flow.add(
        'created',
        defineComponent({
          type: 'Created',
          async receive(event, ctx) {
            await ctx.emit({
              ...event,
              data: `made ${String(event.data)}`,
              meta: { ...event.meta, status: 201, responseHeaders: { 'x-made': 'yes' } },
            })
          },
        }),
      )
      flow.connect(http, t)
      return 'created'
    })
    const made = await fetch(url2, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'tea' })
    expect(made.status).toBe(201)
    expect(made.headers.get('x-made')).toBe('yes')
    expect(await made.text()).toBe('made tea')
  })

  it('full circle with BasicAuth: good credentials pass with the user, others get 401 from the error route', async () => {
    const { url } = await serve((flow, http) => {
      flow.add('auth', BasicAuth({ users: { ann: 'secret' } }))
      flow.add(
        'hello',
        Transform((_body, event) => `hello ${String(event.meta.user)}`),
      )
      flow.connect(http, 'auth').connect('auth', 'hello').connectError('auth', http)
      return 'hello'
    })
    const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
    const good = await fetch(url, { headers: { authorization: basic('ann', 'secret') } })
    expect([good.status, await good.text()]).toEqual([200, 'hello ann'])
    for (const authorization of [basic('ann', 'wrong'), basic('bob', 'secret'), 'Bearer x', undefined]) {
      const bad = await fetch(url, authorization === undefined ? {} : { headers: { authorization } })
      expect(bad.status).toBe(401)
      expect(bad.headers.get('www-authenticate')).toMatch(/^Basic realm="troupe"/)
      expect(await bad.json()).toMatchObject({ component: 'auth' })
    }
  })

  it('a component that throws on every event: each request gets 500 with the reason, the graph keeps serving', async () => {
    const { url } = await serve((flow, http) => {
      flow.add(
        'boom',
        Transform((body: { ok?: boolean }) => {
          if (body?.ok !== true) throw new Error('cannot do that')
          return 'fine'
        }),
      )
      flow.connect(http, 'boom').connectError('boom', http)
      return 'boom'
    })
    for (let i = 0; i < 3; i++) {
      const failed = await fetch(url, json({ ok: false }))
      expect(failed.status).toBe(500)
      expect(await failed.json()).toEqual({ error: 'cannot do that', component: 'boom' })
    }
    expect(await (await fetch(url, json({ ok: true }))).text()).toBe('fine')
  })

  it('gives 504 when no event comes back in time, 503 when saturated, 413 for a huge body, 400 for bad JSON', async () => {
    const release = signal()
    const { url } = await serve(
      (flow, http) => {
        flow.add(
          'stuck',
          defineComponent({
            type: 'Stuck',
            async receive(event, ctx) {
              if (event.meta.path === '/never') return
              await release.promise
              await ctx.emit(event)
            },
          }),
          { capacity: 10 },
        )
        flow.connect(http, 'stuck')
        return 'stuck'
      },
      { timeoutMs: 300, maxPending: 2, maxBodyBytes: 1000 },
    )
    const never = await fetch(`${url}/never`)
    expect(never.status).toBe(504)
    const held = [fetch(`${url}/a`), fetch(`${url}/b`)]
    // Two requests are in the graph: the third is refused at once.
    let third = await fetch(`${url}/c`)
    for (let i = 0; i < 50 && third.status !== 503; i++) third = await fetch(`${url}/c`)
    expect(third.status).toBe(503)
    expect(await third.json()).toEqual({ error: expect.stringMatching(/saturated: 2 requests .*maxPending/) })
    release.resolve()
    await Promise.all(held)
    const huge = await fetch(url, json({ text: 'x'.repeat(5000) }))
    expect(huge.status).toBe(413)
    const malformed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    })
    expect(malformed.status).toBe(400)
  })
})
