import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort, type NatsServer, natsServerVersion, startNatsServer } from '../../support/nats-server.ts'
import { cookieFolder, killAll, troupe, troupeRun } from './support.ts'

const folder = cookieFolder()
const cookie = ['--cookie-file', folder.cookie]
let nats: NatsServer | undefined

afterEach(killAll)
afterAll(async () => {
  folder.remove()
  await nats?.stop()
})

describe.skipIf(natsServerVersion() === undefined)('troupe run --nats', () => {
  beforeAll(async () => {
    nats = await startNatsServer()
  })

  it('runs two nodes with plain names that find each other on NATS', async () => {
    const url = nats!.url
    const prefix = ['--nats', url, '--nats-prefix', 'cli-test']
    const pong = troupe([
      'run',
      'examples/cli-ping-pong/pong.ts',
      '--node',
      'pong',
      '--name',
      'pong',
      ...prefix,
      ...cookie,
    ])
    await pong.waitFor('pong running at troupe://pong/user/pong\n')
    const ping = await troupeRun(
      [
        'run',
        'examples/cli-ping-pong/ping.ts',
        '--node',
        'ping',
        '--name',
        'ping',
        '--using',
        'pong=troupe://pong/user/pong',
        ...prefix,
        ...cookie,
      ],
      { timeoutMs: 15_000 },
    )
    expect(ping.code, ping.stderr).toBe(0)
    expect(ping.stdout).toContain('ping: done after 3 rounds')
  }, 30_000)

  it('finds an actor by name in the NATS cluster with --using key=name', async () => {
    const prefix = ['--nats', nats!.url, '--nats-prefix', 'cli-names']
    const pong = troupe([
      'run',
      'examples/cli-ping-pong/pong.ts',
      '--node',
      'pong',
      '--name',
      'pong',
      ...prefix,
      ...cookie,
    ])
    await pong.waitFor('pong running at troupe://pong/user/pong\n')
    const ping = await troupeRun(
      [
        'run',
        'examples/cli-ping-pong/ping.ts',
        '--node',
        'ping',
        '--name',
        'ping',
        '--using',
        'pong=pong',
        ...prefix,
        ...cookie,
      ],
      { timeoutMs: 15_000 },
    )
    expect(ping.code, ping.stderr).toBe(0)
    expect(ping.stdout).toContain('ping: done after 3 rounds')
  }, 30_000)

  it('an unreachable server: exit 1 with a line that names the URL, not a stack', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`
    const run = await troupeRun(
      ['run', 'examples/cli-ping-pong/pong.ts', '--node', 'pong', '--name', 'pong', '--nats', url, ...cookie],
      { timeoutMs: 15_000 },
    )
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(`^troupe run: cannot start node pong: cannot connect to NATS at ${url}: `),
    )
    expect(run.stderr).not.toMatch(/^\s+at /m)
  }, 20_000)

  it.each([
    [
      'a bad URL',
      ['--nats', 'http://x:1'],
      /^troupe run: option '--nats <url\[,url...\]>' argument 'http:\/\/x:1' is invalid. 'http:\/\/x:1' is not a NATS URL/,
    ],
    [
      'a bad prefix',
      ['--nats', 'nats://127.0.0.1:4222', '--nats-prefix', 'a..b'],
      /--nats-prefix <prefix>' argument 'a..b' is invalid/,
    ],
    [
      'a plain name without --nats',
      [],
      /^troupe run: option '--node <name@host:port>' argument 'pong' is invalid. expected name@host:port/,
    ],
    [
      '--nats-prefix without --nats',
      ['--node', 'p@127.0.0.1:1', '--nats-prefix', 'x'],
      /^troupe run: --nats-prefix .* give --nats too/,
    ],
  ])('%s: one line on stderr, exit code 2', async (_what, extra, expected) => {
    const args = ['run', 'examples/cli-ping-pong/pong.ts', '--node', 'pong', '--name', 'pong', ...extra]
    const run = await troupeRun(args, { direct: true })
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toMatch(expected)
  })
})

describe.skipIf(natsServerVersion() === undefined)('troupe send and troupe request --nats', () => {
  const prefix = () => ['--nats', nats!.url, '--nats-prefix', 'cli-greet']

  beforeAll(async () => {
    nats ??= await startNatsServer()
  })

  /** Runs the greeter example on NATS and resolves once its node serves `greet`. */
  async function runGreeter(): Promise<void> {
    const greeter = troupe([
      'run',
      'examples/nats-cluster/greeter.ts',
      '--node',
      'greeter',
      '--name',
      'greeter',
      ...prefix(),
      ...cookie,
    ])
    await greeter.waitFor('greeter running at troupe://greeter/user/greeter\n')
    await greeter.waitFor('greeter: serving greet on greeter\n')
  }

  it('send --ask finds the actor by name, and by its plain address, in the NATS cluster', async () => {
    await runGreeter()
    const byName = await troupeRun(['send', 'greeter', '{"name":"ann"}', '--ask', ...prefix(), ...cookie])
    expect(byName.code, byName.stderr).toBe(0)
    expect(byName.stdout).toBe('"hello ann, from greeter"\n')
    const byAddress = await troupeRun([
      'send',
      'troupe://greeter/user/greeter',
      '{"name":"bea"}',
      '--ask',
      ...prefix(),
      ...cookie,
    ])
    expect(byAddress.code, byAddress.stderr).toBe(0)
    expect(byAddress.stdout).toBe('"hello bea, from greeter"\n')
  }, 30_000)

  it('request prints the reply of a service a node serves, as JSON', async () => {
    await runGreeter()
    const run = await troupeRun(['request', 'greet', '"bob"', ...prefix(), ...cookie])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe('"hello bob, from greeter"\n')
    const fromStdin = await troupeRun(['request', 'greet', '-', ...prefix(), ...cookie], {
      stdin: '{"name":"cy"}',
    })
    expect(fromStdin.code, fromStdin.stderr).toBe(0)
    expect(fromStdin.stdout).toBe('"hello cy, from greeter"\n')
  }, 30_000)

  it("request: the handler's error exits 1 with its message and code, not a stack", async () => {
    await runGreeter()
    const run = await troupeRun(['request', 'greet', '7', ...prefix(), ...cookie])
    expect(run.code, run.stderr).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      `troupe request: service 'greet' failed (400): expected a name: "bob" or {"name":"bob"}\n`,
    )
  }, 30_000)

  it('request of a service nobody serves: exit 1 at once, with one line and no stack', async () => {
    const run = await troupeRun(['request', 'nobody', ...prefix(), ...cookie], { timeoutMs: 15_000 })
    expect(run.code, run.stderr).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(
      /^troupe request: no node serves 'nobody' in the NATS cluster 'cli-greet' \(.*\)\n$/,
    )
  }, 20_000)
})

describe('troupe send and troupe request: NATS usage errors', () => {
  it.each([
    [
      'request without --nats',
      ['request', 'greet', '"bob"'],
      /^troupe request: required option '--nats <url\[,url...\]>' not specified/,
    ],
    [
      'send with --nats and --registry',
      ['send', 'greeter', '{}', '--nats', 'nats://127.0.0.1:4222', '--registry', '127.0.0.1:1616'],
      /^troupe send: --nats and --registry are two ways to find names: give one/,
    ],
    [
      'send with --nats-prefix without --nats',
      ['send', 'troupe://a@127.0.0.1:1/user/a', '{}', '--nats-prefix', 'x'],
      /^troupe send: --nats-prefix .* give --nats too/,
    ],
    [
      'request of a bad service name',
      ['request', 'a.b', '--nats', 'nats://127.0.0.1:4222'],
      /value 'a.b' is invalid for argument 'service'/,
    ],
  ])('%s: one line on stderr, exit code 2', async (_what, args, expected) => {
    const run = await troupeRun(args, { direct: true })
    expect(run.code, run.stderr).toBe(2)
    expect(run.stderr).toMatch(expected)
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1)
  })
})
