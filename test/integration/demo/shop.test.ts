import { afterEach, describe, expect, it } from 'vitest'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'

const running: NodeProcess[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()))
})

function shop(...args: string[]): NodeProcess {
  const p = startProcess(['examples/shop/main.ts', '--http-port', '0', '--gateway-port', '0', ...args])
  running.push(p)
  return p
}

const order = (base: string, body: string) =>
  fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })

describe('the demo shop (npm start)', () => {
  it('takes orders from shoppers and from HTTP across its processes, survives payment crashes, and closes at Ctrl-C', async () => {
    const demo = shop('--order-every-ms', '40', '--report-every-ms', '300')
    await demo.waitFor('curl -X DELETE', 30_000)
    const base = demo.output().match(/order by hand: curl -X POST (http:\/\/127\.0\.0\.1:\d+)/)![1]!

    const good = await order(base, '{"item":"fig","quantity":2,"customer":"ann"}')
    expect(good.status).toBe(200)
    const shipped = (await good.json()) as {
      cents: number
      pricedBy: number
      receipt: string
      customer: string
    }
    expect(shipped).toMatchObject({ cents: 180, customer: 'ann' })
    expect(shipped.receipt).toMatch(/^r-\d+$/)
    // Priced in a child process of the demo, not in the demo's own.
    expect(shipped.pricedBy).not.toBe(demo.child.pid)

    const unknown = await order(base, '{"item":"kiwi","quantity":1}')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ error: 'the shop sells no kiwi', component: 'price' })
    const bad = await order(base, '{"item":"fig"}')
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { component: string }).component).toBe('check')
    const tooMany = await order(base, '{"item":"plum","quantity":5000}')
    expect(tooMany.status).toBe(409)
    expect(((await tooMany.json()) as { error: string }).error).toMatch(/^out of plum: \d+ left, 5000 wanted/)
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404)

    // Every ninth order crashes the payments actor: it is restarted, and the shop goes on.
    await demo.waitFor('payment crashed', 20_000)
    await demo.waitFor('payments restarted 1 times', 20_000)
    const after = await order(base, '{"item":"apple","quantity":1}')
    expect([200, 409]).toContain(after.status)

    // The gateway it printed serves its actors and the dashboard, with the token of this run.
    const dashboardUrl = demo.output().match(/the dashboard: (\S+)/)![1]!
    const gateway = new URL(dashboardUrl).origin
    const token = new URL(dashboardUrl).searchParams.get('token')!
    const rest = (method: string, path: string, body?: unknown) =>
      fetch(`${gateway}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    expect((await fetch(`${gateway}/actors`)).status).toBe(401)
    const inventory = (await (await rest('GET', '/actors/inventory')).json()) as {
      snapshot: { stock: Record<string, number> }
    }
    expect(Object.keys(inventory.snapshot.stock).sort()).toEqual(['apple', 'fig', 'pear', 'plum'])
    expect((await rest('PUT', '/actors/ann', { type: 'basket' })).status).toBe(201)
    expect((await rest('POST', '/actors/ann', { type: 'add', item: 'pear', quantity: 3 })).status).toBe(202)
    expect(await (await rest('POST', '/actors/ann?ask=1', { type: 'total' })).json()).toBe(165)
    expect(await (await rest('GET', '/actors/ann')).json()).toMatchObject({
      snapshot: { items: { pear: 3 } },
    })
    expect(await (await rest('DELETE', '/actors/ann')).json()).toMatchObject({
      name: 'ann',
      reason: 'killed',
    })
    const login = await fetch(dashboardUrl, { redirect: 'manual' })
    expect(login.status).toBe(303)
    const page = await fetch(`${gateway}/`, {
      headers: { cookie: login.headers.get('set-cookie')!.split(';')[0]! },
    })
    expect(await page.text()).toContain('<title>Troupe dashboard</title>')

    demo.child.kill('SIGINT')
    await demo.waitFor('The shop is closed.', 20_000)
    const code = await new Promise<number | null>((resolve) =>
      demo.child.exitCode !== null
        ? resolve(demo.child.exitCode)
        : demo.child.once('exit', (c) => resolve(c)),
    )
    expect(code, demo.output()).toBe(0)
    expect(demo.output()).toContain('Closing the shop (Ctrl-C)')
  }, 90_000)

  it('says what is wrong with a bad option and exits 2', async () => {
    const demo = shop('--seconds', 'soon')
    const code = await new Promise<number | null>((resolve) => demo.child.once('exit', (c) => resolve(c)))
    expect(code).toBe(2)
    expect(demo.output()).toContain("--seconds takes a number >= 0, got 'soon'")
  })
})
