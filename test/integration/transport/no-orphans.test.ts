// No orphans, in every state a child can be in: starting, handshaking, connected, stuck in a
// synchronous loop; whether its parent is killed, fails, or ends it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ActorSystem, start } from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { teardown } from '../../fixtures/teardown-functions.ts'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'
import { killAll } from '../../support/process-tree.ts'
import { processGone, stillRunning } from '../../support/processes.ts'
import { within } from './support.ts'

const processes: NodeProcess[] = []
const strayPids = new Set<number>()
const systems: ActorSystem[] = []
const folders: string[] = []

afterEach(async () => {
  killAll(strayPids)
  strayPids.clear()
  await Promise.all(processes.splice(0).map((p) => p.kill()))
  await Promise.all(systems.splice(0).map((system) => system.shutdown()))
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/** Starts a fixture program and resolves with the JSON object it prints on the line starting with `{"key"`. */
async function startFixture<T>(args: string[], key: string): Promise<{ program: NodeProcess; printed: T }> {
  const program = startProcess(args)
  processes.push(program)
  const prefix = `{"${key}"`
  await program.waitFor(prefix, 30_000)
  const line = program
    .output()
    .split('\n')
    .find((l) => l.startsWith(prefix))
  const printed = JSON.parse(line!) as T
  for (const value of Object.values(printed as object)) if (typeof value === 'number') strayPids.add(value)
  return { program, printed }
}

async function rootSystem(): Promise<ActorSystem> {
  const system = await start({ logLevel: 'silent' })
  systems.push(system)
  return system
}

describe('a child whose parent is killed exits within 2 s', () => {
  it('while stuck in a synchronous loop', async () => {
    const { program, printed } = await startFixture<{ child: number }>(
      ['test/fixtures/process-orphan-parent.ts', 'spin'],
      'child',
    )
    const before = performance.now()
    await program.kill()
    const left = await stillRunning([printed.child], 2_000)
    console.log(`spinning child gone ${Math.round(performance.now() - before)} ms after its parent's SIGKILL`)
    expect(left, `the spinning child ${printed.child} still runs 2 s after its parent was killed`).toEqual([])
  }, 45_000)

  it.each([
    ['stuck in a synchronous loop', 'load-spins.ts'],
    ['waiting on a top-level await', 'load-waits.ts'],
  ])(
    'while it loads its modules, %s (before its hello)',
    async (_, module) => {
      const { program, printed } = await startFixture<{ starting: number }>(
        ['test/fixtures/starting-child-parent.ts', module],
        'starting',
      )
      await program.kill()
      const left = await stillRunning([printed.starting], 2_000)
      expect(
        left,
        `the starting child ${printed.starting} still runs 2 s after its parent was killed`,
      ).toEqual([])
    },
    45_000,
  )

  it('at every level of a tree stuck at every level, threads included', async () => {
    const { program, printed } = await startFixture<{ middle: number; grandchild: number }>(
      ['test/fixtures/spinning-tree-root.ts'],
      'middle',
    )
    expect(processGone(printed.middle)).toBe(false)
    expect(processGone(printed.grandchild)).toBe(false)
    const before = performance.now()
    await program.kill()
    const left = await stillRunning([printed.middle, printed.grandchild], 2_000)
    console.log(`stuck tree gone ${Math.round(performance.now() - before)} ms after the root's SIGKILL`)
    expect(left, 'still running 2 s after the root was killed').toEqual([])
  }, 60_000)
})

describe('a child that ends takes its own children down', () => {
  it('when it fails by an uncaught error: it SIGKILLs them, even one that would outlive it', async () => {
    const { program, printed } = await startFixture<{ child: number }>(
      ['test/fixtures/process-orphan-parent.ts', 'spin', 'alone', '--then-throw'],
      'child',
    )
    const child = program.child
    const code = await within(
      child.exitCode !== null
        ? Promise.resolve(child.exitCode)
        : new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode))),
      10_000,
      'the parent to fail',
    )
    expect(code, program.output()).toBe(1)
    const left = await stillRunning([printed.child], 2_000)
    expect(left, `child ${printed.child} still runs after its parent failed`).toEqual([])
  }, 45_000)

  it('when a child node fails: its spinning grandchild goes with it', async () => {
    const system = await rootSystem()
    const failure = await system
      .nursery(async (n) => {
        await n.runInActor('middle', teardown.failLeavingSpinningGrandchild, [], { in: 'process' }).result()
      })
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      )
    const pid = Number(/grandchild (\d+) left spinning/.exec(String(failure?.message))?.[1])
    expect(pid, `the failure names the grandchild: ${String(failure)}`).toBeGreaterThan(0)
    strayPids.add(pid)
    const left = await stillRunning([pid], 2_000)
    expect(left, `grandchild ${pid} still runs 2 s after its parent node failed`).toEqual([])
  }, 45_000)

  it('when a thread child node stuck in a loop is terminated: the processes it started go too', async () => {
    const system = await rootSystem()
    const pid = await system.nursery(async (n) => {
      const middle = await n.startActor('middle', { expose: [teardown], in: 'thread' })
      const grandchild = await middle.run(teardown.spinningGrandchildProcess)
      strayPids.add(grandchild)
      void middle.run(teardown.spin).catch(() => {})
      // The thread gets the call before the close: it spins, and is terminated after its grace.
      await middle.cancelActor()
      return grandchild
    })
    const left = await stillRunning([pid], 2_000)
    expect(left, `process ${pid} still runs 2 s after the thread that started it was terminated`).toEqual([])
  }, 45_000)

  it('when a child node is stopped: gracefully first, its idle grandchild exiting by itself', async () => {
    const system = await rootSystem()
    const folder = mkdtempSync(join(tmpdir(), 'troupe-teardown-'))
    folders.push(folder)
    const file = join(folder, 'grandchild-exit')
    const pid = await system.nursery(
      async (n) => await n.runInActor('middle', teardown.idleGrandchild, [file], { in: 'process' }).result(),
    )
    strayPids.add(pid)
    // The middle node has exited: it waited for its own child, which exited by itself (code 0).
    expect(processGone(pid), `grandchild ${pid} outlived its parent node`).toBe(true)
    expect(existsSync(file), 'the grandchild was killed instead of exiting').toBe(true)
    expect(readFileSync(file, 'utf8')).toBe('0')
  }, 45_000)
})
