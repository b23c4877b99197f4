import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { type ActorSystem, defineActor, start } from 'troupe'
import { type Gateway, startGateway } from 'troupe/gateway'
import { afterEach, describe, expect, it } from 'vitest'
import { root } from '../support/run-node.ts'

/**
 * The dashboard as a user reaches it: served by the gateway, opened in Debian's chromium from the
 * URL with the token the gateway announces, logged in by the cookie that URL sets; the page's
 * calls then pass the gateway's token, Host and Origin checks as a browser makes them.
 */
const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium)
  console.log(`skipping the gateway's browser test: no ${CHROMIUM} (apt-get install chromium)`)
const DEADLINE_MS = 5_000

/** Counts what it is told; its snapshot shows the count. */
const Tally = defineActor<string, number>({
  init: () => 0,
  receive: (n) => n + 1,
  snapshot: (n) => ({ told: n }),
})

let system: ActorSystem | undefined
let gateway: Gateway | undefined
let browser: Browser | undefined
afterEach(async () => {
  try {
    await browser?.close()
  } finally {
    await gateway?.close()
    await system?.shutdown()
    browser = gateway = system = undefined
  }
})

describe.skipIf(!haveChromium)('the dashboard served by the gateway, in chromium', () => {
  it('logs in from the announced URL, shows a snapshot, and its kill button kills through the checks', async () => {
    system = await start({ logLevel: 'silent' })
    const tally = system.spawn(Tally, { name: 'tally' })
    for (let i = 0; i < 4; i++) tally.tell('one more')
    const announced: string[] = []
    gateway = await startGateway(system, { port: 0, announce: (url) => announced.push(url) })
    expect(announced).toEqual([gateway.dashboardUrl])

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    await page.goto(gateway.dashboardUrl)
    // The token left the address bar for an HttpOnly cookie, which the page's own calls carry.
    expect(page.url()).toBe(`${gateway.url}/`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: DEADLINE_MS })
    const cookies = await page.context().cookies()
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['troupe_token', true, 'Strict']])

    const row = `[data-path="${tally.path}"]`
    await page.waitForSelector(row, { timeout: DEADLINE_MS })
    await page.click(`${row} .label`)
    // A locator, not waitForFunction: the page's CSP forbids the eval that a string predicate needs.
    await page.locator('#d-state', { hasText: '"told": 4' }).waitFor({ timeout: DEADLINE_MS })
    const down = system.watch(tally)
    await page.click('#kill')
    expect((await down).reason).toBe('killed')
    await page.waitForSelector(row, { state: 'detached', timeout: DEADLINE_MS })
    mkdirSync(join(root, 'test-artifacts'), { recursive: true })
    await page.screenshot({ path: join(root, 'test-artifacts', 'gateway-dashboard.png') })
    expect(pageErrors).toEqual([])

    // A page of another origin is refused the same kill, though the browser sends the cookie.
    const other = await browser.newPage()
    await other.goto('about:blank')
    const status = await other.evaluate(async (url) => {
      const response = await fetch(`${url}/dashboard/api/actor/kill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: '/user/anyone' }),
        credentials: 'include',
      }).catch(() => undefined)
      return response?.status ?? 'blocked'
    }, gateway.url)
    expect(status).not.toBe(200)
  }, 30_000)
})
