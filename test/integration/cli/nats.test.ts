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
