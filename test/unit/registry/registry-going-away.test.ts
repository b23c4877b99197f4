import { EventEmitter, once } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { type ActorSystem, defineActor, failAfter, start } from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'

const Idle = defineActor<never>({ receive: (_state, _message, ctx) => ctx.unhandled() })

interface LogLine {
  level: number
  msg: string
}

/** A logger at debug level that keeps its lines and tells of each. */
function capturedLog() {
  const lines: LogLine[] = []
  const events = new EventEmitter()
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as LogLine
        lines.push(line)
        events.emit('line', line)
      }
      callback()
    },
  })
  const waitFor = (pattern: RegExp) =>
    failAfter(5_000, async (signal) => {
      while (!lines.some((line) => pattern.test(line.msg))) await once(events, 'line', { signal })
    })
  return { lines, logger: pino({ level: 'debug' }, sink), waitFor }
}

const systems: ActorSystem[] = []

afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.shutdown()))
})

describe('a name registered as the cluster registry goes away', () => {
  it('is no refusal: it is logged at debug level, and only the loss of the registry warns', async () => {
    const network = new InProcessNetwork()
    const options = { network, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 200, reconnectMinMs: 10 }
    const root = await start({ node: 'root@127.0.0.1:1', registry: true, logLevel: 'silent', ...options })
    systems.push(root)
    const log = capturedLog()
    // Resolves once it has joined the registry.
    const member = await start({
      node: 'member@127.0.0.1:2',
      registry: root.node,
      logger: log.logger,
      ...options,
    })
    systems.push(member)

    // The registration of 'late' leaves and gets no answer: the registry's node is gone first.
    network.freeze(root.node)
    member.spawn(Idle, { name: 'late' })
    network.partition(root.node)

    await log.waitFor(/^lost the cluster registry .*: joining it again$/)
    const warnings = () => log.lines.filter((line) => line.level >= 40).map((line) => line.msg)
    expect(warnings().filter((msg) => /cannot register|refused the name/.test(msg))).toEqual([])
    await log.waitFor(/^cannot register 'late': the cluster registry went away \(NodeDownError/)
    expect(warnings().filter((msg) => /cannot register|refused the name/.test(msg))).toEqual([])
  })
})
