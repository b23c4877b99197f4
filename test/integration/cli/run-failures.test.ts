import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { failAfter } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cookieFolder, killAll, troupe, troupeRun } from './support.ts'

const folder = cookieFolder()
const cookie = ['--cookie-file', folder.cookie]
const scratch = mkdtempSync(join(tmpdir(), 'troupe-run-'))

afterEach(killAll)
afterAll(() => {
  folder.remove()
  rmSync(scratch, { recursive: true, force: true })
})

/** Starts the pong example under `troupe run` on a free port and waits for its ready line. */
async function runPong(extra: string[] = cookie) {
  const node = `pong@127.0.0.1:${await freePort()}`
  const address = `troupe://${node}/user/pong`
  const cli = troupe(['run', 'examples/cli-ping-pong/pong.ts', '--node', node, '--name', 'pong', ...extra])
  await cli.waitFor(`pong running at ${address}\n`)
  return { cli, node, address }
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? ''
}

/** Runs the ping example given `pong` as its `--using pong=...`, to its end. */
async function runPing(pong: string, extra: string[] = []) {
  const node = `ping@127.0.0.1:${await freePort()}`
  const args = ['run', 'examples/cli-ping-pong/ping.ts', '--node', node, '--name', 'ping']
  const before = performance.now()
  const run = await troupeRun([...args, '--using', `pong=${pong}`, ...cookie, ...extra], {
    timeoutMs: 15_000,
  })
  return { ...run, ms: performance.now() - before }
}

describe('troupe run says why it cannot start', () => {
  it('a syntax error in the module: the file, line, column and message', async () => {
    const file = join(scratch, 'broken.ts')
    writeFileSync(file, 'export const A = {\n  n: 1 +\n}\n')
    const node = `broken@127.0.0.1:${await freePort()}`
    const run = await troupeRun(['run', `${file}#A`, '--node', node, '--name', 'a', ...cookie])
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toBe(`troupe run: cannot load ${file}: ${file}:3:1: Unexpected "}"\n`)
  })

  it('an unreachable --using node: exit 1 with the reason once the default connect timeout is over', async () => {
    const gone = `troupe://gone@127.0.0.1:${await freePort()}/user/pong`
    const run = await runPing(gone)
    expect(run.code, run.stderr).toBe(1)
    // Its log says each retry at warn; the last line says why it gave up.
    expect(lastLine(run.stderr)).toMatch(
      /^troupe run: --using pong: node gone@127\.0\.0\.1:\d+ is down: .*ECONNREFUSED.* \(tried for 5000 ms\)$/,
    )
    expect(run.stdout).not.toContain('running at')
    expect(run.ms).toBeGreaterThanOrEqual(5_000)
    expect(run.ms).toBeLessThan(12_000)
  }, 20_000)

  it('a --using node that starts within the connect timeout is waited for', async () => {
    const port = await freePort()
    const pongNode = `pong@127.0.0.1:${port}`
    const pingNode = `ping@127.0.0.1:${await freePort()}`
    const ping = troupe([
      'run',
      'examples/cli-ping-pong/ping.ts',
      '--node',
      pingNode,
      '--name',
      'ping',
      '--using',
      `pong=troupe://${pongNode}/user/pong`,
      '--connect-timeout',
      '15000',
      ...cookie,
    ])
    // The ping node tries to reach pong before pong runs: it says so in its log at warn.
    await failAfter(
      15_000,
      () =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (!ping.stderr().includes('cannot reach node pong@')) return
            ping.child.stderr?.off('data', check)
            resolve()
          }
          ping.child.stderr?.on('data', check)
          check()
        }),
    )
    const pong = troupe([
      'run',
      'examples/cli-ping-pong/pong.ts',
      '--node',
      pongNode,
      '--name',
      'pong',
      ...cookie,
    ])
    await pong.waitFor('pong running at')
    const exit = await ping.exited(15_000)
    expect(exit, `${ping.stdout()}\n${ping.stderr()}`).toEqual({ code: 0, signal: null })
    expect(ping.stdout()).toContain('ping: done after 3 rounds')
  }, 30_000)

  it('a --using node that refuses the cookie: exit 1 saying so', async () => {
    const other = cookieFolder()
    try {
      writeFileSync(other.cookie, 'another-cookie-entirely\n')
      const pong = await runPong(['--cookie-file', other.cookie])
      const run = await runPing(pong.address, ['--connect-timeout', '3000'])
      expect(run.code, run.stderr).toBe(1)
      expect(lastLine(run.stderr), run.stderr).toMatch(
        /^troupe run: --using pong: node pong@.* is down: .*cookie mismatch.*$/,
      )
      expect(run.stdout).not.toContain('running at')
      expect(pong.cli.stdout()).not.toContain('got ping')
    } finally {
      other.remove()
    }
  })

  it('no actor at the --using address: exit 1 saying so', async () => {
    const pong = await runPong()
    const nobody = pong.address.replace(/pong$/, 'nobody')
    const run = await runPing(nobody)
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toBe(`troupe run: --using pong: no actor at ${nobody}\n`)
  })
})
