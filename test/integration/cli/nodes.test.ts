import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cookieFolder, killAll, troupe, troupeRun } from './support.ts'

const folder = cookieFolder()
const cookie = ['--cookie-file', folder.cookie]

afterEach(killAll)
afterAll(() => folder.remove())

/** Starts `troupe run <module> --name <name>` on a free port and waits for its ready line. */
async function runNode(module: string, name: string, extra: string[] = []) {
  const node = `${name}@127.0.0.1:${await freePort()}`
  const address = `troupe://${node}/user/${name}`
  const cli = troupe(['run', module, '--node', node, '--name', name, ...cookie, ...extra])
  await cli.waitFor(`${name} running at ${address}\n`)
  return { cli, node, address }
}

describe('troupe run', () => {
  it("runs spinoff's example2 across two nodes: main-actor talks to other and exits 0", async () => {
    const other = await runNode('examples/spinoff-example2/other.ts', 'other')
    const main = await runNode('examples/spinoff-example2/main-actor.ts', 'main-actor', [
      '--using',
      `other_actor=${other.address}`,
    ])
    const exit = await main.cli.exited(20_000)
    const out = main.cli.stdout()
    expect(exit, `${out}\n${main.cli.stderr()}`).toEqual({ code: 0, signal: null })
    for (let round = 1; round <= 3; round++) {
      expect(out).toContain(`main-actor: sending "hello! (${round} of 3)" to ${other.address}`)
    }
    expect(out.split(`main-actor: got 'ack' from ${other.address}`)).toHaveLength(4)
    expect(out).toContain('main-actor: 3 greetings acknowledged, stopping')
    expect(out).toContain('main-actor stopped (normal)')
    await other.cli.waitFor(`other: "hello! (3 of 3)" from ${main.address}`)
    expect(other.cli.child.exitCode).toBeNull()
  })

  it('plays ping-pong between two nodes', async () => {
    const pong = await runNode('examples/cli-ping-pong/pong.ts', 'pong')
    const ping = await runNode('examples/cli-ping-pong/ping.ts', 'ping', ['--using', `pong=${pong.address}`])
    const exit = await ping.cli.exited(20_000)
    expect(exit, `${ping.cli.stdout()}\n${ping.cli.stderr()}`).toEqual({ code: 0, signal: null })
    for (const n of [1, 2, 3]) expect(ping.cli.stdout()).toContain(`ping: got pong ${n}\n`)
    expect(ping.cli.stdout()).toContain('ping: done after 3 rounds')
    await pong.cli.waitFor('pong: got ping 3, sending pong 3 (3 so far)')
  })

  it('stops the node and exits 0 promptly at SIGTERM, and at SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const other = await runNode('examples/spinoff-example2/other.ts', 'other')
      const t0 = performance.now()
      other.cli.child.kill(signal)
      expect(await other.cli.exited(5_000)).toEqual({ code: 0, signal: null })
      expect(performance.now() - t0).toBeLessThan(3_000)
      expect(other.cli.stdout()).toContain('other: stopping (stopped)')
    }
  })

  it('exits 1 with the reason when the actor fails for good', async () => {
    const node = `crash@127.0.0.1:${await freePort()}`
    const run = await troupeRun([
      'run',
      'test/fixtures/cli-actors.ts#Crash',
      '--node',
      node,
      '--name',
      'crash',
      ...cookie,
    ])
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toContain('troupe run: crash failed: crashed on purpose')
  })

  it('exits 1 when its port is taken', async () => {
    const taken = await runNode('test/fixtures/cli-actors.ts#Echo', 'echo')
    const run = await troupeRun([
      'run',
      'test/fixtures/cli-actors.ts#Echo',
      '--node',
      taken.node,
      '--name',
      'e',
      ...cookie,
    ])
    expect(run.code, run.stderr).toBe(1)
    // One line naming the node and why.
    expect(run.stderr).toMatch(/^troupe run: cannot start node echo@127\.0\.0\.1:\d+: [^\n]+\n$/)
    expect(run.stderr).toMatch(/EADDRINUSE|in use/)
  })
})

describe('troupe send', () => {
  it('--ask prints the reply as JSON', async () => {
    const pong = await runNode('examples/cli-ping-pong/pong.ts', 'pong')
    const run = await troupeRun(['send', pong.address, '{"type":"ping","n":7}', '--ask', ...cookie])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('{"type":"pong","n":7}\n')
    await pong.cli.waitFor('pong: got ping 7')
  })

  it('without --ask delivers the message and says so', async () => {
    const pong = await runNode('examples/cli-ping-pong/pong.ts', 'pong')
    const run = await troupeRun(['send', pong.address, '{"type":"ping","n":8}', ...cookie])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe(`sent to ${pong.address}\n`)
    await pong.cli.waitFor('pong: got ping 8')
  })

  it('exits 1 when no actor is at the address', async () => {
    const pong = await runNode('examples/cli-ping-pong/pong.ts', 'pong')
    const missing = pong.address.replace(/pong$/, 'nobody')
    const told = await troupeRun(['send', missing, '1', ...cookie])
    expect(told.code, told.stderr).toBe(1)
    expect(told.stderr).toBe(`troupe send: no actor at ${missing}: the message went to its dead letters\n`)
    const asked = await troupeRun(['send', missing, '1', '--ask', ...cookie])
    expect(asked.code, asked.stderr).toBe(1)
    expect(asked.stderr).toBe(`troupe send: no actor at ${missing}\n`)
  })

  it('exits 1 when the ask times out', async () => {
    const silent = await runNode('test/fixtures/cli-actors.ts#Silent', 'silent')
    const run = await troupeRun(['send', silent.address, '"anyone?"', '--ask', '--timeout', '300', ...cookie])
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toBe(`troupe send: no reply from ${silent.address} within 300 ms\n`)
  })

  it('exits 1 with a clear message when the node is unreachable', async () => {
    const node = `gone@127.0.0.1:${await freePort()}`
    for (const ask of [[], ['--ask']]) {
      const run = await troupeRun(['send', `troupe://${node}/user/a`, '{}', ...ask, ...cookie])
      expect(run.code, run.stderr).toBe(1)
      expect(run.stderr).toMatch(new RegExp(`^troupe send: node ${node} is down: .*ECONNREFUSED.*\\n$`))
    }
  })

  it('exits 1 mentioning the cookie when the node refuses it', async () => {
    const pong = await runNode('examples/cli-ping-pong/pong.ts', 'pong')
    const other = cookieFolder()
    try {
      const { writeFileSync } = await import('node:fs')
      writeFileSync(other.cookie, 'another-cookie-entirely\n')
      for (const ask of [[], ['--ask']]) {
        const run = await troupeRun([
          'send',
          pong.address,
          '{"type":"ping","n":1}',
          ...ask,
          '--cookie-file',
          other.cookie,
        ])
        expect(run.code, run.stderr).toBe(1)
        expect(run.stderr).toMatch(/^troupe send: node pong@.* is down: .*cookie mismatch.*\n$/)
      }
      expect(pong.cli.stdout()).not.toContain('got ping')
    } finally {
      other.remove()
    }
  })
})
