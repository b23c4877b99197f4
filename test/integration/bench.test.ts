import { describe, expect, it } from 'vitest'
import { runTypeScript } from '../support/run-node.ts'

const figures = ['skynet', 'ring', 'ping-pong', 'burst', 'ask', 'spawn', 'spawn-heap']
/**
 * Measured against a raw channel in the same run (the floor column: raw node:net between two
 * processes, a bare Worker or fork for the child-node figures, one process for fanout); no nact
 * peer. The stream-heap figures have no floor, and say why in its place.
 */
const floorless = [
  'thread-stream-heap',
  'process-stream-heap',
  'thread-stream-heap-16k',
  'process-stream-heap-16k',
]
const remoteFigures = [
  'remote-ping-pong',
  'remote-tells',
  'remote-ping-pong-sealed',
  'remote-tells-sealed',
  'remote-ask',
  'thread-run',
  'process-run',
  'thread-stream',
  'process-stream',
  'thread-stream-heap',
  'process-stream-heap',
  'thread-stream-heap-16k',
  'process-stream-heap-16k',
  'spawn-thread',
  'spawn-process',
  'fanout',
]

describe('bench --size tiny', () => {
  it('runs every workload on the floor, Troupe and nact and prints one line per figure', async () => {
    const { code, signal, stdout, stderr } = await runTypeScript(
      ['bench/run.ts', '--size', 'tiny', '--peers', '--from', 'source'],
      {
        timeoutMs: 115_000,
        nodeFlags: ['--expose-gc'],
      },
    )
    expect({ code, signal }, `stdout:\n${stdout}\nstderr:\n${stderr}`).toEqual({ code: 0, signal: null })
    const lines = stdout.split('\n')
    for (const figure of [...figures, ...remoteFigures]) {
      const own = lines.filter((line) => line.startsWith(`${figure}: `))
      expect(own, `one line for ${figure} in:\n${stdout}`).toHaveLength(1)
      const fields = own[0]!.split(' | ')
      expect(fields[0]).toMatch(new RegExp(`^${figure}: \\d`))
      if (floorless.includes(figure)) {
        expect(fields[1]).toMatch(/^floor n\/a \(.+\)$/)
        expect(fields[2]).toBe('n/a floor')
      } else {
        expect(fields[1]).toMatch(/^floor \d/)
        expect(fields[2]).toMatch(/^\d[\d.]*x floor$/)
      }
      expect(fields[3]).toMatch(/^target /)
      expect(fields[4]).toMatch(remoteFigures.includes(figure) ? /^nact n\/a$/ : /^nact ~?\d/)
    }
    expect(stdout).not.toContain('FAILED')
  }, 120_000)
})
