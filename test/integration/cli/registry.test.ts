import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cookieFolder, killAll, troupe, troupeRun } from './support.ts'

const folder = cookieFolder()
const cookie = ['--cookie-file', folder.cookie]

afterEach(killAll)
afterAll(() => folder.remove())

/** `troupe registry` on a free port, ready. */
async function startRegistry() {
  const port = await freePort()
  const registry = `127.0.0.1:${port}`
  const cli = troupe(['registry', '--node', `root@${registry}`, ...cookie])
  await cli.waitFor(`registry running at root@${registry}\n`)
  return { cli, registry }
}

/** `troupe run` of a module on a free port that joins the registry, ready. */
async function runNode(registry: string, module: string, name: string, extra: string[] = []) {
  const node = `${name}@127.0.0.1:${await freePort()}`
  const address = `troupe://${node}/user/${name}`
  const cli = troupe([
    'run',
    module,
    '--node',
    node,
    '--name',
    name,
    '--registry',
    registry,
    ...cookie,
    ...extra,
  ])
  await cli.waitFor(`${name} running at ${address}\n`)
  return { cli, node, address }
}

describe('troupe registry, run --registry, ps and send by name', () => {
  it('ps lists the actors registered by the nodes, with their nodes', async () => {
    const { registry } = await startRegistry()
    const pong = await runNode(registry, 'examples/cli-ping-pong/pong.ts', 'pong')
    const echo = await runNode(registry, 'test/fixtures/cli-actors.ts#Echo', 'echo')
    const run = await troupeRun(['ps', '--registry', registry, ...cookie])
    expect(run.code, run.stderr).toBe(0)
    const rows = run.stdout.trim().split('\n')
    expect(rows[0]).toMatch(/^NAME\s+NODE\s+ADDRESS$/)
    expect(rows).toContainEqual(
      expect.stringMatching(new RegExp(`^echo\\s+${echo.node}\\s+${echo.address}$`)),
    )
    expect(rows).toContainEqual(
      expect.stringMatching(new RegExp(`^pong\\s+${pong.node}\\s+${pong.address}$`)),
    )
    expect(run.stderr).toBe('')
  })

  it('send finds the actor by name; run --using takes a name', async () => {
    const { registry } = await startRegistry()
    const pong = await runNode(registry, 'examples/cli-ping-pong/pong.ts', 'pong')
    const asked = await troupeRun([
      'send',
      'pong',
      '{"type":"ping","n":5}',
      '--ask',
      '--registry',
      registry,
      ...cookie,
    ])
    expect(asked.code, asked.stderr).toBe(0)
    expect(asked.stdout).toBe('{"type":"pong","n":5}\n')
    const told = await troupeRun(['send', 'pong', '{"type":"ping","n":6}', '--registry', registry, ...cookie])
    expect(told.code, told.stderr).toBe(0)
    expect(told.stdout).toBe(`sent to ${pong.address}\n`)
    await pong.cli.waitFor('pong: got ping 6')

    const ping = troupe([
      'run',
      'examples/cli-ping-pong/ping.ts',
      '--node',
      `ping@127.0.0.1:${await freePort()}`,
      '--name',
      'ping',
      '--registry',
      registry,
      '--using',
      'pong=pong',
      ...cookie,
    ])
    expect(await ping.exited(20_000), ping.stderr()).toEqual({ code: 0, signal: null })
    expect(ping.stdout()).toContain(`ping: ping 1 to ${pong.address}`)
    expect(ping.stdout()).toContain('ping: done after 3 rounds')
  }, 45_000) // five node processes one after another: a loaded machine takes more than the default 20 s

  it('send exits 1 for a name nobody registered, ps for a registry nobody runs', async () => {
    const { registry } = await startRegistry()
    const send = await troupeRun(['send', 'nobody', '1', '--registry', registry, ...cookie])
    expect(send.code, send.stderr).toBe(1)
    expect(send.stderr).toBe(`troupe send: target: no actor named 'nobody' in the registry at ${registry}\n`)
    const nowhere = `127.0.0.1:${await freePort()}`
    const ps = await troupeRun(['ps', '--registry', nowhere, ...cookie])
    expect(ps.code, ps.stderr).toBe(1)
    expect(ps.stderr).toMatch(
      new RegExp(`^troupe ps: the cluster registry at ${nowhere} is unavailable: .+\\n$`),
    )
  })

  it('run exits 1 when another node holds the name in the cluster', async () => {
    const { registry } = await startRegistry()
    const first = await runNode(registry, 'examples/cli-ping-pong/pong.ts', 'pong')
    const node = `pong@127.0.0.1:${await freePort()}`
    const second = await troupeRun([
      'run',
      'examples/cli-ping-pong/pong.ts',
      '--node',
      node,
      '--name',
      'pong',
      '--registry',
      registry,
      ...cookie,
    ])
    expect(second.code, second.stderr).toBe(1)
    expect(second.stderr).toContain(
      `troupe run: the name 'pong' is taken in the cluster registry at ${registry} by ${first.address}\n`,
    )
  })

  it('the registry node stops and exits 0 at SIGINT', async () => {
    const { cli } = await startRegistry()
    cli.child.kill('SIGINT')
    expect(await cli.exited(5_000)).toEqual({ code: 0, signal: null })
  })
})
