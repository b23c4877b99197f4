import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runInProcessGroup } from '../../support/process-group.ts'
import { root } from '../../support/run-node.ts'

const program = fileURLToPath(new URL('../../fixtures/one-file-supervised.ts', import.meta.url))

describe('a one-file program that exposes a definition and spawns it in children, with no guard', () => {
  it('runs it in a process, then a thread, each restarted after a crash, and exits 0', {
    timeout: 90_000,
  }, async () => {
    // Every process of the run is in its group: killed at the deadline, past the limit, and at its end.
    const run = await runInProcessGroup(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', program],
      { cwd: root, env: process.env, timeoutMs: 60_000, maxProcesses: 8 },
    )
    const report = `--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`
    expect(run.tooManyProcesses, report).toBe(false)
    expect(run.timedOut, report).toBe(false)
    expect(run.code, report).toBe(0)
    expect(run.stdout.trim().split('\n'), report).toEqual([
      'process: runs in another process, its main thread',
      'process: 3 squared is 9, job 1',
      'process: RangeError: cannot square -1',
      'process: 4 squared is 16, job 1',
      'process: restarted in a new process: true',
      'thread: runs in this process, a worker thread',
      'thread: 3 squared is 9, job 1',
      'thread: RangeError: cannot square -1',
      'thread: 4 squared is 16, job 1',
      'thread: restarted in a new thread: true',
    ])
    // The program and one child process at a time (the old one ends before the restart): no fork
    // of the program by its own children.
    expect(run.mostNodeProcesses, report).toBe(2)
  })
})
