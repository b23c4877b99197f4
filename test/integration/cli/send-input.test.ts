import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { moveOnAfter } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { cookieFolder, killAll, troupe, troupeRun } from './support.ts'

const folder = cookieFolder()
const cookie = ['--cookie-file', folder.cookie]

// After all, not after each: the concurrent cases below would kill one another's processes.
afterAll(async () => {
  await killAll()
  folder.remove()
})

/** Starts `troupe run <module> --name <name>` on a free port and waits for its ready line. */
async function runNode(module: string, name: string) {
  const node = `${name}@127.0.0.1:${await freePort()}`
  const address = `troupe://${node}/user/${name}`
  const cli = troupe(['run', module, '--node', node, '--name', name, ...cookie])
  await cli.waitFor(`${name} running at ${address}\n`)
  return { cli, address }
}

describe('troupe send reads the message from a file or from standard input', () => {
  it('--file sends a message longer than one command-line argument may be, and --ask prints all of the reply', async () => {
    const echo = await runNode('test/fixtures/cli-actors.ts#Echo', 'echo')
    // Linux caps one argument at 128 KiB; the reply crosses a pipe's 64 KiB buffer too.
    const message = JSON.stringify({
      type: 'order',
      lines: Array.from({ length: 6000 }, (_, i) => `line ${i} `.repeat(5)),
    })
    expect(message.length).toBeGreaterThan(200_000)
    const file = join(folder.dir, 'order.json')
    writeFileSync(file, `${message}\n`)
    const run = await troupeRun(['send', echo.address, '--file', file, '--ask', ...cookie])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toBe(`${message}\n`)
  })

  it('does not exit before a reader slower than itself has taken all of a long reply', async () => {
    const echo = await runNode('test/fixtures/cli-actors.ts#Echo', 'echo')
    const message = JSON.stringify('x'.repeat(500_000))
    const file = join(folder.dir, 'long.json')
    writeFileSync(file, message)
    const cli = troupe(['send', echo.address, '--file', file, '--ask', ...cookie])
    // Nothing is read for a while: a command that exits with its reply still queued loses what
    // did not fit in the pipe, one that waits for its output cannot exit in the meantime.
    cli.child.stdout?.pause()
    const exitedUnread = await moveOnAfter(3_000, (signal) => once(cli.child, 'exit', { signal }))
    cli.child.stdout?.resume()
    expect(await cli.exited(), cli.stderr()).toEqual({ code: 0, signal: null })
    expect(exitedUnread).toBeUndefined()
    expect(cli.stdout()).toBe(`${message}\n`)
  })

  it('- reads the message from standard input', async () => {
    const pong = await runNode('examples/cli-ping-pong/pong.ts', 'pong')
    const asked = await troupeRun(['send', pong.address, '-', '--ask', ...cookie], {
      stdin: '{"type":"ping","n":11}\n',
    })
    expect(asked.code, asked.stderr).toBe(0)
    expect(asked.stdout).toBe('{"type":"pong","n":11}\n')
    const told = await troupeRun(['send', pong.address, '--file', '-', ...cookie], {
      stdin: '{"type":"ping","n":12}',
    })
    expect(told.code, told.stderr).toBe(0)
    expect(told.stdout).toBe(`sent to ${pong.address}\n`)
    await pong.cli.waitFor('pong: got ping 12')
  })
})

describe.concurrent('a message that is missing, given twice or not JSON: one line on stderr, exit code 2', () => {
  const target = 'troupe://a@127.0.0.1:1/user/a'
  it.each([
    [
      'no message at all',
      ['send', target],
      undefined,
      /^troupe send: missing the message: give it as <json>, as - to read standard input, or with --file$/,
    ],
    [
      '<json> and --file',
      ['send', target, '{}', '--file', 'm.json'],
      undefined,
      /^troupe send: give the message as <json> or with --file, not both$/,
    ],
    [
      'a --file that does not exist',
      ['send', target, '--file', '/nonexistent/m.json'],
      undefined,
      /^troupe send: --file \/nonexistent\/m\.json: ENOENT/,
    ],
    [
      'standard input that is not JSON',
      ['send', target, '-'],
      '{"type":',
      /^troupe send: the message on standard input is not valid JSON/,
    ],
  ])('%s', async (_case, args, stdin, message) => {
    const run = await troupeRun(args, stdin === undefined ? {} : { stdin })
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2)
    expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1)
    expect(run.stderr.trim()).toMatch(message)
  })
})
