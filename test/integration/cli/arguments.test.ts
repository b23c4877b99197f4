import { afterAll, describe, expect, it } from 'vitest'
import { cookieFolder, killAll, troupeRun } from './support.ts'

const folder = cookieFolder()
afterAll(async () => {
  await killAll()
  folder.remove()
})

describe('troupe --help', () => {
  it.each([
    [[], 'Usage: troupe [options] [command]'],
    [['run'], 'Usage: troupe run [options] <module>'],
    [['registry'], 'Usage: troupe registry [options]'],
    [['ps'], 'Usage: troupe ps [options]'],
    [['send'], 'Usage: troupe send [options] <target> [json]'],
  ])('troupe %j --help prints the usage and exits 0', async (command, usage) => {
    const run = await troupeRun([...command, '--help'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(usage)
    expect(run.stdout).toMatch(/--/)
  })

  it('works through src/cli/main.ts directly too', async () => {
    const run = await troupeRun(['send', '--help'], { direct: true })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('Usage: troupe send [options] <target> [json]')
    expect(run.stdout).toContain('--ask')
  })
})

describe.concurrent('bad arguments: one line on stderr, exit code 2', () => {
  const node = 'a@127.0.0.1:1'
  it.each([
    ['no command', [], /^Usage: troupe/],
    ['an unknown command', ['frob'], /^troupe: unknown command 'frob'/],
    ['an unknown option', ['ps', '--frob'], /^troupe ps: unknown option '--frob'/],
    ['no --node', ['run', 'examples/cli-ping-pong/pong.ts', '--name', 'p'], /required option '--node/],
    [
      'a bad --node',
      ['run', 'examples/cli-ping-pong/pong.ts', '--node', 'nohost', '--name', 'p'],
      /^troupe run: option '--node <name@host:port>' argument 'nohost' is invalid. expected name@host:port/,
    ],
    [
      'a bad --name',
      ['run', 'examples/cli-ping-pong/pong.ts', '--node', node, '--name', '$p'],
      /argument '\$p' is invalid/,
    ],
    [
      'a bad --using',
      ['run', 'examples/cli-ping-pong/pong.ts', '--node', node, '--name', 'p', '--using', 'pong'],
      /expected key=ADDRESS/,
    ],
    [
      'a name for --using without --registry',
      ['run', 'examples/cli-ping-pong/ping.ts', '--node', node, '--name', 'p', '--using', 'pong=pong'],
      /^troupe run: --using pong: 'pong' is a name; give --registry host:port/,
    ],
    [
      'a missing module',
      ['run', 'examples/no-such-module.ts', '--node', node, '--name', 'p'],
      /^troupe run: no module at .*no-such-module\.ts$/,
    ],
    [
      'a missing export',
      ['run', 'test/fixtures/cli-actors.ts#Nope', '--node', node, '--name', 'p'],
      /^troupe run: test\/fixtures\/cli-actors.ts has no export 'Nope' \(its actors: Crash, Echo, Silent\)$/,
    ],
    [
      'an export that is no actor',
      ['run', 'test/fixtures/cli-actors.ts#notAnActor', '--node', node, '--name', 'p'],
      /is not an actor definition/,
    ],
    [
      'a missing cookie file',
      [
        'run',
        'test/fixtures/cli-actors.ts#Echo',
        '--node',
        node,
        '--name',
        'p',
        '--cookie-file',
        '/nonexistent/cookie',
      ],
      /^troupe run: --cookie-file \/nonexistent\/cookie: ENOENT/,
    ],
    [
      'a target that is neither an address nor a name',
      ['send', 'troupe://nowhere', '{}'],
      /^troupe send: .*'troupe:\/\/nowhere' is invalid.*expected troupe:\/\/<node>\/<path> or an actor name/,
    ],
    [
      'a message that is not JSON',
      ['send', 'troupe://a@127.0.0.1:1/user/a', '{nope'],
      /^troupe send: <json> is not valid JSON/,
    ],
    [
      'a bad --timeout',
      ['send', 'troupe://a@127.0.0.1:1/user/a', '1', '--timeout', '-3'],
      /expected milliseconds > 0/,
    ],
    ['a bad --registry', ['ps', '--registry', 'nowhere'], /^troupe ps: .*expected host:port/],
  ])('%s', async (_case, args, message) => {
    const run = await troupeRun(args)
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2)
    if (args.length > 0) expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1)
    expect(run.stderr.trim()).toMatch(message)
  })
})
