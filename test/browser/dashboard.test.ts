import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import fastify, { type FastifyInstance } from 'fastify'
import { type Browser, chromium, type Page } from 'playwright-core'
import { type ActorSystem, defineActor, failAfter, type Ref, start, supervisor } from 'troupe'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dashboardPlugin } from '../../src/gateway/dashboard/index.ts'
import { root } from '../support/run-node.ts'

/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by playwright-core, against
 * a real server on 127.0.0.1. The page runs under the dashboard's strict CSP, so a page that shows
 * the tree also proves it needs no inline script.
 */
const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium)
  console.log(`skipping the dashboard's browser tests: no ${CHROMIUM} (apt-get install chromium)`)

const ARTIFACTS = join(root, 'test-artifacts')
const DEADLINE_MS = 5_000

const Worker = defineActor<string>({
  receive(_, message, ctx) {
    if (message === 'ping') ctx.reply('pong')
  },
})

const App = supervisor({
  strategy: 'one-for-one',
  children: [
    { name: 'db', behavior: Worker },
    { name: 'cache', behavior: Worker },
    { name: 'api', behavior: Worker },
  ],
})

let system: ActorSystem | undefined
let app: FastifyInstance | undefined
let browser: Browser | undefined
let page: Page
let base: string
const pageErrors: string[] = []

beforeEach(async () => {
  pageErrors.length = 0
  system = await start({ logLevel: 'silent' })
  system.spawn(App, { name: 'app' })
  app = fastify({ forceCloseConnections: true })
  await app.register(dashboardPlugin(system, { intervalMs: 200 }))
  base = await app.listen({ host: '127.0.0.1', port: 0 })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  await page.goto(`${base}/`)
  await page.waitForSelector('body[data-ready="true"]', { timeout: DEADLINE_MS })
})

afterEach(async () => {
  try {
    await browser?.close()
  } finally {
    browser = undefined
    try {
      await app?.close()
    } finally {
      app = undefined
      await system?.shutdown()
      system = undefined
    }
  }
})

const row = (path: string) => `li[data-path="${path}"] > .row`

/** Waits until the element's text matches. */
const waitForText = (selector: string, text: RegExp) =>
  page.locator(selector).filter({ hasText: text }).waitFor({ timeout: DEADLINE_MS })

describe.skipIf(!haveChromium)('the dashboard in chromium', () => {
  it('shows the supervision tree and follows a spawn, and saves a screenshot', async () => {
    for (const path of ['/user/app', '/user/app/db', '/user/app/cache', '/user/app/api']) {
      await page.waitForSelector(row(path), { timeout: DEADLINE_MS })
    }
    expect(await page.textContent('#node')).toBe(system!.node)
    expect(await page.textContent('#actor-count')).toBe('4')

    const spawnedAt = Date.now()
    const newcomer = system!.spawn(Worker, { name: 'newcomer' })
    await page.waitForSelector(row(newcomer.path), { timeout: DEADLINE_MS })
    // The stream's interval is 200 ms: the page shows a spawn well within a second.
    expect(Date.now() - spawnedAt).toBeLessThan(1_000)
    await waitForText('#actor-count', /^5$/)

    await page.click(`${row('/user/app/db')} .label`)
    await waitForText('#d-address', /\/user\/app\/db$/)
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })

  it('kills the actor its kill button is for', async () => {
    const victim = system!.spawn(Worker, { name: 'victim' }) as Ref<string>
    const terminated = system!.watch(victim)
    await page.waitForSelector(row(victim.path), { timeout: DEADLINE_MS })
    await page.click(`${row(victim.path)} .label`)
    await waitForText('#d-address', /\/user\/victim$/)
    await page.click('#kill')
    const ended = await failAfter(DEADLINE_MS, () => terminated)
    expect(ended.reason).toBe('killed')
    // The stream tells the page, which drops the row.
    await page.waitForSelector(row(victim.path), { state: 'detached', timeout: DEADLINE_MS })
    expect(pageErrors).toEqual([])
  })

  it('restarts an actor from its restart button, and shows the restart', async () => {
    const cache = system!.actorAt('/user/app/cache')!
    const restarted = new Promise<void>((resolve) => {
      const stop = system!.inspect((event) => {
        if (event.type === 'restarted' && event.ref === cache) {
          stop()
          resolve()
        }
      })
    })
    await page.click(`${row('/user/app/cache')} .label`)
    await waitForText('#d-address', /\/user\/app\/cache$/)
    await page.click('#restart')
    await failAfter(DEADLINE_MS, () => restarted)
    await waitForText('#d-restarts', /^1$/)
    expect(await page.textContent('#d-error')).toContain('restart requested')
    expect(await page.textContent(`${row('/user/app/cache')} .restarts`)).toBe('1')
    expect(pageErrors).toEqual([])
  })
})
