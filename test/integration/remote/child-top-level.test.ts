import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type FunctionRef, failAfter, isChildNode, start } from 'troupe'
import { describe, expect, it } from 'vitest'
import { reapAfterEach } from '../../support/child-nodes.ts'
import { descendantsOf, runsNode } from '../../support/process-tree.ts'
import { root } from '../../support/run-node.ts'

const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url)
const { systems } = reapAfterEach()

interface SampledRun {
  code: number | null
  stdout: string
  stderr: string
  /** The most node processes below the program at any sample. */
  most: number
}

/**
 * Runs a TypeScript file as a user does (`node --import tsx --conditions=source file.ts`) and counts
 * the node processes below it every 20 ms until it exits. Past `limit` of them it is a fork without
 * end: the whole tree is killed at once.
 */
function runSampled(file: URL, limit: number): Promise<SampledRun> {
  const program: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', fileURLToPath(file)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stdout = ''
  let stderr = ''
  program.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  program.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  let most = 0
  const killTree = () => {
    for (const pid of descendantsOf(program.pid ?? -1).filter(runsNode)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    program.kill('SIGKILL')
  }
  const sampler = setInterval(() => {
    const count = descendantsOf(program.pid ?? -1).filter(runsNode).length
    most = Math.max(most, count)
    if (count > limit) killTree()
  }, 20)
  return failAfter(60_000, async () => {
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        program.once('error', reject)
        program.once('close', (exitCode) => resolve(exitCode))
      })
      return { code, stdout, stderr, most }
    } finally {
      clearInterval(sampler)
      killTree()
    }
  })
}

describe('a program that starts a system at its top level', () => {
  it('runs its children from its own module without forking itself again', { timeout: 90_000 }, async () => {
    const run = await runSampled(fixture('one-file-program.ts'), 4)
    const report = `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`
    // It asks for one child process (donny) and one thread (frank).
    expect(run.most, report).toBeLessThanOrEqual(1)
    expect(run.most, report).toBe(1)
    expect(run.code, report).toBe(0)
    expect(run.stdout, report).toContain('hi from frank')
    expect(run.stdout, report).toContain('hi from donny')
  })

  it('gives the caller a clear error for a function exposed after start()', { timeout: 90_000 }, async () => {
    const module = fixture('expose-after-start.ts').href
    const run = await runSampled(fixture('expose-after-start.ts'), 4)
    const report = `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`
    expect(run.code, report).toBe(0)
    expect(run.stdout, report).toContain('early, in a child node')
    expect(run.stdout, report).toContain('RemoteActorError')
    expect(run.stdout, report).toContain('cause: NotExposedError: node child-')
    expect(run.stdout, report).toContain(`does not expose 'late' of ${module}`)
    expect(run.stdout, report).toContain(`${module} (or a module it imports) calls start() at its top level`)
    expect(run.stdout, report).toContain('before start()')
  })
})

describe('a child node that loads a module which starts a system at its top level', () => {
  it('keeps what the module exposed, even when the module does not await start()', async () => {
    const system = await start({ logLevel: 'silent' })
    systems.push(system)
    // Not imported here: its top-level code is a program of its own.
    const ping: FunctionRef<() => Promise<string>> = {
      module: fixture('unawaited-start.ts').href,
      name: 'ping',
    }
    const answer = await system.nursery(async (n) => {
      const pinger = await failAfter(20_000, () =>
        n.startActor('pinger', { expose: [{ ping }], in: 'thread' }),
      )
      const pong = await failAfter(10_000, () => pinger.run(ping))
      await pinger.cancelActor()
      return pong
    })
    expect(answer).toBe('pong')
    expect(isChildNode()).toBe(false)
  })
})
