import { join } from 'node:path'
import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cookieFolder, killAll, troupe, troupeRun } from '../cli/support.ts'

const folder = cookieFolder()
const cookie = ['--cookie-file', folder.cookie]
const types = ['--load', 'test/fixtures/gateway-types.ts']

afterEach(killAll)
afterAll(() => folder.remove())

describe('troupe gateway', () => {
  it('starts, prints the dashboard URL with the token once, and serves the loaded types', async () => {
    const port = await freePort()
    const tokenFile = join(folder.dir, 'gateway-token')
    const cli = troupe(['gateway', '--port', String(port), '--token-file', tokenFile, ...types, ...cookie])
    await cli.waitFor('spawnable types: counter, echo')
    const match = /gateway at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+))/.exec(cli.stdout())
    expect(match, cli.stdout()).not.toBeNull()
    expect(Number(match![2])).toBe(port)
    expect(cli.stdout().split(match![3]!)).toHaveLength(2)
    const url = `http://127.0.0.1:${port}`
    const headers = {
      authorization: `Bearer ${decodeURIComponent(match![3]!)}`,
      'content-type': 'application/json',
    }
    const put = await fetch(`${url}/actors/c1`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ type: 'counter', args: 2 }),
    })
    expect(put.status).toBe(201)
    const ask = await fetch(`${url}/actors/c1?ask=1`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'get' }),
    })
    expect(await ask.json()).toBe(2)
    const snapshot = await fetch(`${url}/actors/c1`, { headers })
    expect(await snapshot.json()).toMatchObject({ snapshot: { count: 2 } })
    const killed = await fetch(`${url}/actors/c1`, { method: 'DELETE', headers })
    expect(killed.status).toBe(200)
    expect((await fetch(`${url}/actors`)).status).toBe(401)
    cli.child.kill('SIGTERM')
    expect((await cli.exited()).code).toBe(0)
  })

  it('exits 2 with a clear message for bad options', async () => {
    const cases: [string[], RegExp][] = [
      [['gateway', '--port', 'eighty'], /--port.*expected a port number/],
      [['gateway', '--port', '99999'], /expected a port number/],
      [['gateway', '--host', 'a b'], /--host.*expected an address/],
      [['gateway', '--registry', '127.0.0.1:1616'], /--registry needs --node/],
      [['gateway', '--load', 'test/fixtures/no-such-module.ts'], /--load: no module at/],
      [['gateway', '--load', 'test/fixtures/gateway-actors.ts'], /exposes no actor types: call exposeTypes/],
      [['gateway', '--node', 'plain-name'], /expected name@host:port/],
    ]
    // The runs are independent: side by side, so the test's time is about that of the slowest.
    const results = await Promise.all(cases.map(([args]) => troupeRun([...args, ...cookie])))
    results.forEach((result, i) => {
      const [args, message] = cases[i]!
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2)
      expect(result.stderr, args.join(' ')).toMatch(message)
    })
  }, 60_000)
})
