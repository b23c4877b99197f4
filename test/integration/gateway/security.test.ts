import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Opened, openGateway, problemOf, rawRequest } from './support.ts'

const opened: Opened[] = []
const dirs: string[] = []
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((o) => o.close()))
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
async function gateway(options: Parameters<typeof openGateway>[0] = {}) {
  const o = await openGateway(options)
  opened.push(o)
  return o
}
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-gateway-'))
  dirs.push(dir)
  return dir
}

describe('the gateway is secure by default', () => {
  it('listens on 127.0.0.1 with a generated 32-byte token, announced once in the dashboard URL', async () => {
    const announced: string[] = []
    const { gateway: gw } = await gateway({ announce: (url) => announced.push(url) })
    expect(gw.url).toBe(`http://127.0.0.1:${gw.port}`)
    expect(gw.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(gw.dashboardUrl).toBe(`${gw.url}/?token=${gw.token}`)
    expect(announced).toEqual([gw.dashboardUrl])
  })

  it('answers 401 with WWW-Authenticate: Bearer for a missing or wrong token', async () => {
    const { call } = await gateway()
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', 'Basic dXNlcjpwYXNz']) {
      const response = await call('/actors', {
        headers: authorization === undefined ? {} : { authorization },
      })
      if (authorization === undefined) {
        const bare = await fetch(response.url)
        expect(bare.status).toBe(401)
        expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer/)
        expect((await problemOf(bare)).detail).toContain('Authorization: Bearer <token>')
        continue
      }
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect((await problemOf(response)).type).toBe('urn:troupe:gateway:unauthorized')
    }
  })

  it('trades GET /?token= for an HttpOnly, SameSite=Strict cookie, and takes the cookie after', async () => {
    const { gateway: gw } = await gateway()
    const login = await fetch(`${gw.url}/?token=${gw.token}`, { redirect: 'manual' })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe('/')
    const cookie = login.headers.get('set-cookie') ?? ''
    expect(cookie).toContain(`troupe_token=${gw.token}`)
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    const page = await fetch(`${gw.url}/`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>Troupe dashboard</title>')
    const list = await fetch(`${gw.url}/actors`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(list.status).toBe(200)
    const wrong = await fetch(`${gw.url}/?token=nope-nope-nope-nope`, { redirect: 'manual' })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
  })

  it('reads the token file, or creates it with mode 0600 and reuses it at the next start', async () => {
    const file = join(tempDir(), 'token')
    const announced: string[] = []
    const first = await gateway({ tokenFile: file, announce: (url) => announced.push(url) })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const token = first.gateway.token
    await first.close()
    opened.splice(opened.indexOf(first), 1)
    const second = await gateway({ tokenFile: file, announce: (url) => announced.push(url) })
    expect(second.gateway.token).toBe(token)
    expect(announced).toHaveLength(1)
    const open = join(tempDir(), 'open-token')
    writeFileSync(open, 'a-token-others-can-read-1234\n', { mode: 0o644 })
    await expect(openGateway({ tokenFile: open })).rejects.toThrow(/chmod 600/)
  })

  it('answers only its own Host names (DNS rebinding), /health too', async () => {
    const { gateway: gw } = await gateway()
    for (const path of ['/health', '/actors']) {
      const evil = await rawRequest(`${gw.url}${path}`, {
        headers: { host: `evil.example:${gw.port}`, authorization: `Bearer ${gw.token}` },
      })
      expect(evil.status).toBe(403)
      expect(evil.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(JSON.parse(evil.body).type).toBe('urn:troupe:gateway:host-not-allowed')
    }
    const local = await rawRequest(`${gw.url}/health`, { headers: { host: `localhost:${gw.port}` } })
    expect(local.status).toBe(200)
    const extra = await gateway({ allowedHosts: ['troupe.internal:8080'] })
    const allowed = await rawRequest(`${extra.gateway.url}/health`, {
      headers: { host: 'troupe.internal:8080' },
    })
    expect(allowed.status).toBe(200)
  })

  it('refuses PUT, POST and DELETE from a foreign Origin, each with 403, and takes its own', async () => {
    const { call, gateway: gw } = await gateway()
    await call('/actors/c1', { method: 'PUT', body: { type: 'counter' } })
    const evil = { origin: 'http://evil.example' }
    const requests = [
      { method: 'PUT', path: '/actors/c2', body: { type: 'counter' } },
      { method: 'POST', path: '/actors/c1', body: { type: 'add', n: 1 } },
      { method: 'DELETE', path: '/actors/c1' },
    ]
    for (const { method, path, body } of requests) {
      const response = await call(path, { method, body, headers: evil })
      expect(response.status, method).toBe(403)
      expect((await problemOf(response)).type).toBe('urn:troupe:gateway:origin-not-allowed')
    }
    // Nothing happened: c2 was not spawned, c1 is alive.
    expect((await call('/actors')).ok).toBe(true)
    expect(((await (await call('/actors')).json()) as { total: number }).total).toBe(1)
    const own = await call('/actors/c1', {
      method: 'POST',
      body: { type: 'add', n: 1 },
      headers: { origin: gw.url },
    })
    expect(own.status).toBe(202)
  })

  it('sends no CORS headers unless configured, and answers preflights of the configured origins', async () => {
    const plain = await gateway()
    const none = await plain.call('/actors', { headers: { origin: 'https://app.example' } })
    expect(none.headers.get('access-control-allow-origin')).toBeNull()

    const app = 'https://app.example'
    const { call, gateway: gw } = await gateway({ cors: { origins: [app] } })
    const list = await call('/actors', { headers: { origin: app } })
    expect(list.headers.get('access-control-allow-origin')).toBe(app)
    const preflight = await fetch(`${gw.url}/actors/c1`, {
      method: 'OPTIONS',
      headers: { origin: app, 'access-control-request-method': 'PUT' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization')
    const put = await call('/actors/c1', {
      method: 'PUT',
      body: { type: 'counter' },
      headers: { origin: app },
    })
    expect(put.status).toBe(201)
    const other = await call('/actors', { headers: { origin: 'https://other.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('refuses a body over maxBodyBytes with 413', async () => {
    const { call } = await gateway({ maxBodyBytes: 1024 })
    await call('/actors/e', { method: 'PUT', body: { type: 'echo' } })
    const big = await call('/actors/e', { method: 'POST', body: 'x'.repeat(2048) })
    expect(big.status).toBe(413)
    expect((await problemOf(big)).detail).toContain('maxBodyBytes')
  })

  it('refuses __proto__ and constructor.prototype keys with 400', async () => {
    const { call } = await gateway()
    await call('/actors/e', { method: 'PUT', body: { type: 'echo' } })
    for (const raw of ['{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"admin": true}}}']) {
      const response = await call('/actors/e?ask=1', { method: 'POST', raw })
      expect(response.status).toBe(400)
      expect((await problemOf(response)).type).toBe('urn:troupe:gateway:forbidden-key')
    }
    expect(({} as { admin?: boolean }).admin).toBeUndefined()
  })

  it('refuses nesting deeper than maxDepth with 400, and takes what is within it', async () => {
    const { call } = await gateway({ maxDepth: 8 })
    await call('/actors/e', { method: 'PUT', body: { type: 'echo' } })
    const deep = await call('/actors/e', { method: 'POST', raw: `${'['.repeat(9)}${']'.repeat(9)}` })
    expect(deep.status).toBe(400)
    expect((await problemOf(deep)).detail).toContain('maxDepth')
    const brackets = await call('/actors/e?ask=1', { method: 'POST', body: '[[[[[[[[[[[[' })
    expect(await brackets.json()).toBe('[[[[[[[[[[[[')
    const within = await call('/actors/e?ask=1', { method: 'POST', raw: `${'['.repeat(8)}${']'.repeat(8)}` })
    expect(within.status).toBe(200)
  })

  it('refuses bad names with 400, and bad JSON and other media types', async () => {
    const { call } = await gateway()
    for (const name of ['b%24d', '.hidden', 'x'.repeat(129), '%20']) {
      const response = await call(`/actors/${name}`, { method: 'PUT', body: { type: 'echo' } })
      expect(response.status, name).toBe(400)
      expect((await problemOf(response)).type).toBe('urn:troupe:gateway:bad-name')
    }
    const json = await call('/actors/e', { method: 'POST', raw: '{"type":' })
    expect((await problemOf(json)).type).toBe('urn:troupe:gateway:invalid-json')
    const text = await call('/actors/e', {
      method: 'POST',
      raw: 'hi',
      headers: { 'content-type': 'text/plain' },
    })
    expect(text.status).toBe(415)
  })

  it('refuses bad options with InvalidOptionError naming them', async () => {
    await expect(openGateway({ maxBodyBytes: 0 })).rejects.toThrow(/maxBodyBytes/)
    await expect(openGateway({ token: 'short' })).rejects.toThrow(/token/)
    await expect(openGateway({ port: 70000 })).rejects.toThrow(/port/)
  })
})
