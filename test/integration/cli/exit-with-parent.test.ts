// The troupe command is one node process, which exits when whatever started it is gone: killing it
// frees its port at once, and killing what started it (npm, a shell) ends it within 2 s.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { failAfter, moveOnAfter, sleep } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { commandLine, descendantsOf, killAll as killPids } from '../../support/process-tree.ts'
import { processGone, stillRunning } from '../../support/processes.ts'
import { root } from '../../support/run-node.ts'
import { cookieFolder, killAll, troupe } from './support.ts'

const folder = cookieFolder()
const cookie = ['--cookie-file', folder.cookie]
/** Process groups started here: each is SIGKILLed whole after each test. */
const groups: ChildProcess[] = []
const strayPids = new Set<number>()

afterEach(async () => {
  await killAll()
  await Promise.all(
    groups.splice(0).map(async (leader) => {
      const closed = new Promise((resolve) => leader.once('close', resolve))
      try {
        process.kill(-leader.pid!, 'SIGKILL')
      } catch {
        // the group is gone already
      }
      if (leader.exitCode === null && leader.signalCode === null) await closed
    }),
  )
  killPids(strayPids)
  strayPids.clear()
})
afterAll(() => folder.remove())

/** Resolves once a server can listen on `port` of 127.0.0.1 (it is closed again), rejects after `ms`. */
async function portFreeWithin(port: number, ms: number): Promise<void> {
  const listens = () =>
    new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
  await failAfter(ms, async () => {
    while (!(await listens())) await sleep(20)
  })
}

/** A command started in its own process group, with its output gathered. */
function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const leader = spawn(command, args, {
    cwd: root,
    env: { ...process.env, TROUPE_LOG_LEVEL: undefined, TROUPE_COOKIE: undefined, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  groups.push(leader)
  let output = ''
  leader.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  leader.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  return { leader, output: () => output }
}

/** Waits until `text` is in the output (or fails with it at the deadline). */
async function waitForText(output: () => string, text: string, ms = 30_000): Promise<void> {
  await failAfter(ms, async () => {
    while (!output().includes(text)) await sleep(20)
  }).catch((error: unknown) => {
    throw new Error(`no '${text}' within ${ms} ms: ${String(error)}\n${output()}`)
  })
}

/** The node running bin/troupe.mjs below `pid`. */
function troupeNodeBelow(pid: number): number {
  const found = descendantsOf(pid).filter((p) => commandLine(p).includes('bin/troupe.mjs'))
  const node = found.find((p) => commandLine(p).startsWith(process.execPath) || /^node /.test(commandLine(p)))
  if (node === undefined) throw new Error(`no troupe node below ${pid}: ${found.map(commandLine).join('; ')}`)
  strayPids.add(node)
  return node
}

/** `npm run troupe -- registry ...` on a free port, ready; the node's pid. */
async function registryThroughNpm(extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const port = await freePort()
  const npm = startGroup(
    'npm',
    ['run', 'troupe', '--', 'registry', '--node', `root@127.0.0.1:${port}`, ...cookie, ...extra],
    env,
  )
  await waitForText(npm.output, `registry running at root@127.0.0.1:${port}`)
  return { ...npm, port, node: troupeNodeBelow(npm.leader.pid!) }
}

describe('the troupe command and the processes that start it', () => {
  it('is one node process: kill -9 of it frees its port at once', async () => {
    const port = await freePort()
    const cli = troupe([
      'run',
      'test/fixtures/cli-actors.ts#Echo',
      '--node',
      `echo@127.0.0.1:${port}`,
      '--name',
      'echo',
      ...cookie,
    ])
    await cli.waitFor(`echo running at troupe://echo@127.0.0.1:${port}/user/echo\n`)
    const pid = cli.child.pid!
    const others = descendantsOf(pid)
      .map(commandLine)
      .filter((line) => !line.includes('esbuild'))
    expect(others, 'no second node process').toEqual([])
    const before = performance.now()
    process.kill(pid, 'SIGKILL')
    await portFreeWithin(port, 2_000)
    console.log(`port free ${Math.round(performance.now() - before)} ms after kill -9 of troupe run`)
  }, 45_000)

  it('run through npm: kill -9 of npm ends the node within 2 s and frees its port', async () => {
    const port = await freePort()
    const npm = startGroup('npm', [
      'run',
      'troupe',
      '--',
      'run',
      'test/fixtures/cli-actors.ts#Echo',
      '--node',
      `echo@127.0.0.1:${port}`,
      '--name',
      'echo',
      ...cookie,
    ])
    await waitForText(npm.output, `echo running at troupe://echo@127.0.0.1:${port}/user/echo`)
    const node = troupeNodeBelow(npm.leader.pid!)
    const before = performance.now()
    process.kill(npm.leader.pid!, 'SIGKILL')
    expect(await stillRunning([node], 2_000), `the node still runs:\n${npm.output()}`).toEqual([])
    await portFreeWithin(port, 2_000)
    console.log(`node gone ${Math.round(performance.now() - before)} ms after kill -9 of npm`)
    expect(npm.output()).toMatch(/troupe run: process \d+ \(which started this one\) lost its own parent/)
  }, 45_000)

  it('registry under sh under a parent: kill -9 of the parent ends the node within 2 s', async () => {
    const port = await freePort()
    // The outer sh is what gets killed; the inner one stays, as npm's does (it waits to echo).
    const script = `sh -c 'node bin/troupe.mjs registry --node root@127.0.0.1:${port} --cookie-file ${folder.cookie}; echo ended'`
    const top = startGroup('sh', ['-c', `${script}; true`])
    await waitForText(top.output, `registry running at root@127.0.0.1:${port}`)
    const node = troupeNodeBelow(top.leader.pid!)
    process.kill(top.leader.pid!, 'SIGKILL')
    expect(await stillRunning([node], 2_000), top.output()).toEqual([])
    await portFreeWithin(port, 2_000)
  }, 45_000)

  it.each([
    ['--no-exit-with-parent', ['--no-exit-with-parent'], {}],
    ['TROUPE_EXIT_WITH_PARENT=0', [], { TROUPE_EXIT_WITH_PARENT: '0' }],
  ])(
    'keeps running after what started it is gone with %s',
    async (_, extra, env) => {
      const npm = await registryThroughNpm(extra, env)
      process.kill(npm.leader.pid!, 'SIGKILL')
      // Longer than the watch takes to see an orphaned ancestor (200 ms) and act on it.
      const gone = await moveOnAfter(1_500, async () => {
        while (!processGone(npm.node)) await sleep(20)
        return true
      })
      expect(gone, npm.output()).toBeUndefined()
      const listening = await new Promise<boolean>((resolve) => {
        const server = createServer()
        server.once('error', () => resolve(true))
        server.listen(npm.port, '127.0.0.1', () => server.close(() => resolve(false)))
      })
      expect(listening, 'the registry still holds its port').toBe(true)
    },
    45_000,
  )
})
