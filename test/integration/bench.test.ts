import { describe, expect, it } from 'vitest'
import { natsServerVersion } from '../support/nats-server.ts'
import { runTypeScript } from '../support/run-node.ts'

const figures = ['skynet', 'ring', 'ping-pong', 'burst', 'ask', 'spawn', 'spawn-heap']
/**
 * Measured against a raw channel in the same run (the floor column: raw node:net between two
 * processes, a bare Worker or fork for the child-node figures, one process for fanout; plain
 * actors, one sink or plain fastify for the flow figures; a raw ZeroMQ relay for mdp-broker; the node with no dashboard for the dashboard figures); no nact peer. The stream-heap figures have no floor, and say why in its place.
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
  'flow-pipeline',
  'flow-fanout',
  'flow-http',
  'mdp-broker',
  'gateway-ask',
  'dashboard-watched',
  'dashboard-unwatched',
]
/** On one nats-server the run starts: the raw client is the floor of the first three, the others have a base. */
const natsFloored = ['nats-tells', 'nats-ask', 'nats-request']
const natsBased = ['nats-name-gone', 'nats-heartbeats-3', 'nats-heartbeats-10', 'nats-heartbeats-30']

describe('bench --size tiny', () => {
  it('runs every workload on the floor, Troupe and nact and prints one line per figure', async () => {
    const { code, signal, stdout, stderr } = await runTypeScript(
      ['bench/run.ts', '--size', 'tiny', '--peers', '--from', 'source'],
      {
        timeoutMs: 280_000,
        nodeFlags: ['--expose-gc'],
      },
    )
    expect({ code, signal }, `stdout:\n${stdout}\nstderr:\n${stderr}`).toEqual({ code: 0, signal: null })
    const lines = stdout.split('\n')
    for (const figure of [...figures, ...remoteFigures, ...natsFloored, ...natsBased]) {
      const own = lines.filter((line) => line.startsWith(`${figure}: `))
      expect(own, `one line for ${figure} in:\n${stdout}`).toHaveLength(1)
      if (figure.startsWith('nats-') && natsServerVersion() === undefined) {
        expect(own[0]).toBe(`${figure}: SKIPPED (nats-server is not on PATH)`)
        continue
      }
      const fields = own[0]!.split(' | ')
      expect(fields[0]).toMatch(new RegExp(`^${figure}: \\d`))
      if (natsBased.includes(figure)) {
        expect(fields[1]).toMatch(/^base \d.* \(.+\)$/)
        expect(fields[2]).toMatch(/^\d[\d.]*x base$/)
      } else if (floorless.includes(figure)) {
        expect(fields[1]).toMatch(/^floor n\/a \(.+\)$/)
        expect(fields[2]).toBe('n/a floor')
      } else {
        expect(fields[1]).toMatch(/^floor \d/)
        expect(fields[2]).toMatch(/^\d[\d.]*x floor$/)
      }
      expect(fields[3]).toMatch(/^target /)
      expect(fields[4]).toMatch(figures.includes(figure) ? /^nact ~?\d/ : /^nact n\/a$/)
    }
    expect(stdout).not.toContain('FAILED')
  }, 290_000)
})
