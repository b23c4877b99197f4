import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const figures = ['skynet', 'ring', 'ping-pong', 'burst', 'ask', 'spawn', 'spawn-heap']

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the bench as `npm run bench` does; the signal kills it if the test gives up first. */
function runBench(args: string[], signal: AbortSignal): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', '--expose-gc', 'bench/run.ts', ...args],
      { cwd: root, signal, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code, exitSignal) => resolve({ code, signal: exitSignal, stdout, stderr }))
  })
}

describe('bench --size tiny', () => {
  it('runs every workload on the floor, Troupe and nact and prints one line per figure', async () => {
    const { code, signal, stdout, stderr } = await runBench(
      ['--size', 'tiny', '--peers'],
      AbortSignal.timeout(115_000),
    )
    expect({ code, signal }, `stdout:\n${stdout}\nstderr:\n${stderr}`).toEqual({ code: 0, signal: null })
    const lines = stdout.split('\n')
    for (const figure of figures) {
      const own = lines.filter((line) => line.startsWith(`${figure}: `))
      expect(own, `one line for ${figure} in:\n${stdout}`).toHaveLength(1)
      const fields = own[0]!.split(' | ')
      expect(fields[0]).toMatch(new RegExp(`^${figure}: \\d`))
      expect(fields[1]).toMatch(/^floor \d/)
      expect(fields[2]).toMatch(/^\d[\d.]*x floor$/)
      expect(fields[3]).toMatch(/^target /)
      expect(fields[4]).toMatch(/^nact ~?\d/)
    }
    expect(stdout).not.toContain('FAILED')
  }, 120_000)
})
