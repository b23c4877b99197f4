import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import fastify, { type FastifyInstance } from 'fastify'
import { type Browser, chromium, type Page } from 'playwright-core'
import { type ActorSystem, defineActor, failAfter, type Ref, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dashboardPlugin } from '../../src/gateway/dashboard/index.ts'
import { root } from '../support/run-node.ts'

/**
 * The dashboard of a node over TCP in a real browser (Debian's chromium, under the dashboard's
 * strict CSP): the node list shows the peer, whose tree the page polls, and an actor of the peer
 * shows its snapshot and can be killed.
 */
const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
const ARTIFACTS = join(root, 'test-artifacts')
const DEADLINE_MS = 5_000
const cookie = 'dashboard-nodes-cookie'

type CounterMsg = 'tick' | 'crash'
const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  receive(n, message) {
    if (message === 'crash') throw new RangeError('crashed on purpose')
    return n + 1
  },
  snapshot: (n) => ({ ticks: n }),
})

const cleanups: (() => Promise<unknown>)[] = []
let gatewayNode: ActorSystem
let peer: ActorSystem
let page: Page
const pageErrors: string[] = []

async function tcpNode(name: string): Promise<ActorSystem> {
  const system = await start({ node: `${name}@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
  cleanups.push(() => system.shutdown())
  return system
}

beforeEach(async () => {
  pageErrors.length = 0
  gatewayNode = await tcpNode('gateway')
  peer = await tcpNode('peer')
  peer.spawn(Counter, { name: 'counter' })
  // Observing the peer connects to it: it is a member from then on.
  await failAfter(DEADLINE_MS, () => gatewayNode.observe(peer.node))
  expect(gatewayNode.members().map((m) => m.node)).toContain(peer.node)
  const app: FastifyInstance = fastify({ forceCloseConnections: true })
  cleanups.push(() => app.close())
  await app.register(dashboardPlugin(gatewayNode, { intervalMs: 200 }))
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  cleanups.push(() => browser.close())
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    // A poll in flight as the peer leaves fails (a 503), which chromium logs: the page expects it.
    const polled = message.location().url.includes('/dashboard/api/nodes/')
    if (message.type() === 'error' && !polled) pageErrors.push(message.text())
  })
  await page.goto(`${base}/`)
  await page.waitForSelector('body[data-ready="true"]', { timeout: DEADLINE_MS })
})

afterEach(async () => {
  // Last started, first stopped: the browser, the server, then the nodes.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

const member = (node: string) => `#members li[data-node="${node}"]`
const remoteRow = (node: string, path: string) => `${member(node)} li[data-remote-path="${path}"] > .row`
const waitForText = (selector: string, text: RegExp) =>
  page.locator(selector).filter({ hasText: text }).waitFor({ timeout: DEADLINE_MS })

describe.skipIf(!haveChromium)('the dashboard of a node with a peer over TCP, in chromium', () => {
  it("lists the peer after this node, shows its tree with polled figures, and an actor's snapshot", async () => {
    await page.waitForSelector(member(peer.node), { timeout: DEADLINE_MS })
    const items = page.locator('#members > li')
    expect(await items.count()).toBe(2)
    expect(await items.nth(0).getAttribute('data-node')).toBe(gatewayNode.node)
    expect(await items.nth(1).getAttribute('data-node')).toBe(peer.node)

    await page.click(`${member(peer.node)} .member-row`)
    const row = remoteRow(peer.node, '/user/counter')
    await page.waitForSelector(row, { timeout: DEADLINE_MS })
    expect(await page.textContent(`${row} .restarts`)).toBe('0')
    // A restart on the peer shows within a poll or two (about a second each).
    const counter = peer.actorAt('/user/counter') as Ref<CounterMsg>
    counter.tell('crash')
    await waitForText(`${row} .restarts`, /^1$/)

    for (let i = 0; i < 3; i++) counter.tell('tick')
    await page.click(`${row} .label`)
    await waitForText('#d-address', new RegExp(`troupe://${peer.node}/user/counter$`))
    await waitForText('#d-state', /"ticks": 3/)
    expect(await page.isDisabled('#restart')).toBe(true)
    expect(await page.isDisabled('#kill')).toBe(false)
    // Messages per second, from the growth of `handled` between two polls: load the counter.
    const ticking = setInterval(() => {
      for (let i = 0; i < 20; i++) counter.tell('tick')
    }, 20)
    try {
      await waitForText(`${row} .rate`, /^[1-9]\d*$/)
      await waitForText('#d-rate', /^[1-9]\d*$/)
    } finally {
      clearInterval(ticking)
    }
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-nodes.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })

  it('kills an actor of the peer from its kill button, and drops the peer when it leaves', async () => {
    const victim = peer.spawn(Counter, { name: 'victim' })
    const ended = peer.watch(victim)
    await page.click(`${member(peer.node)} .member-row`)
    const row = remoteRow(peer.node, '/user/victim')
    await page.waitForSelector(row, { timeout: DEADLINE_MS })
    await page.click(`${row} .label`)
    await waitForText('#d-address', /\/user\/victim$/)
    await page.click('#kill')
    expect((await failAfter(DEADLINE_MS, () => ended)).reason).toBe('killed')
    await page.waitForSelector(row, { state: 'detached', timeout: DEADLINE_MS })

    await peer.shutdown()
    await page.waitForSelector(member(peer.node), { state: 'detached', timeout: DEADLINE_MS })
    expect(pageErrors).toEqual([])
  })
})
