import { afterEach, describe, expect, it } from 'vitest'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'
import { processGone, stillRunning } from '../../support/processes.ts'

const roots: NodeProcess[] = []
const strayPids: number[] = []

afterEach(async () => {
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  await Promise.all(roots.splice(0).map((root) => root.kill()))
})

/** Polls until every pid has exited or `ms` have passed; returns those still running. */

interface Tree {
  root: NodeProcess
  rootPid: number
  children: number[]
}

async function startTree(): Promise<Tree> {
  const root = startProcess(['test/fixtures/tree-root.ts'])
  roots.push(root)
  await root.waitFor('ready', 30_000)
  const line = root
    .output()
    .split('\n')
    .find((l) => l.startsWith('{"root"'))
  const info = JSON.parse(line!) as { root: number; children: number[]; thread: number }
  strayPids.push(...info.children)
  expect(info.root).toBe(root.child.pid)
  expect(info.thread).toBe(info.root)
  expect(info.children).toHaveLength(2)
  for (const pid of info.children) {
    expect(pid).not.toBe(info.root)
    expect(processGone(pid)).toBe(false)
  }
  return { root, rootPid: info.root, children: info.children }
}

describe('a process tree started by a root nursery', () => {
  it('SIGINT to the root takes the whole tree down within 2 s', async () => {
    const { root, rootPid, children } = await startTree()
    const before = performance.now()
    root.child.kill('SIGINT')
    const left = await stillRunning([rootPid, ...children], 2_000)
    console.log(`SIGINT → tree gone in ${Math.round(performance.now() - before)} ms`)
    expect(left, `still running 2 s after SIGINT; output:\n${root.output()}`).toEqual([])
    await root.kill() // already exited: this only waits for its exit event
    expect(root.output()).toContain('stopped')
    expect({ code: root.child.exitCode, signal: root.child.signalCode }).toEqual({ code: 0, signal: null })
  }, 45_000)

  it('kill -9 of the root makes every child process exit within 2 s (no orphans)', async () => {
    const { root, rootPid, children } = await startTree()
    const before = performance.now()
    root.child.kill('SIGKILL')
    const left = await stillRunning([rootPid, ...children], 2_000)
    console.log(`SIGKILL of the root → tree gone in ${Math.round(performance.now() - before)} ms`)
    expect(left, 'still running 2 s after the root was killed').toEqual([])
  }, 45_000)
})
