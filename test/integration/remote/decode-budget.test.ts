import { randomUUID } from 'node:crypto'
import { type ActorSystem, defineActor, failAfter, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import type { Connection } from '../../../src/transport/index.ts'
import { connectTcp } from '../../../src/transport/index.ts'
import { createConnectionCodec } from '../../../src/wire/connection-codec.ts'
import type { Envelope } from '../../../src/wire/envelope.ts'
import { type NodeProcess, startProcess } from '../../support/node-process.ts'
import { CapturedLog } from '../transport/support.ts'

// Attacks on the decode budget by a peer that passed the handshake (it knows the cookie) and then
// writes frames by hand: each frame is a well-formed 'tell' whose message builds too much.

const cookie = 'decode-budget-cookie'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

const MiB = 1 << 20
const Echo = defineActor<string>({ receive: (_s, m, ctx) => ctx.reply(m) })

async function victim(): Promise<{ system: ActorSystem; port: number; log: CapturedLog }> {
  const port = await freePort()
  const log = new CapturedLog()
  const system = await start({ node: `victim@127.0.0.1:${port}`, cookie, logger: log.logger })
  cleanups.push(() => system.shutdown())
  system.spawn(Echo, { name: 'echo' })
  return { system, port, log }
}

/** A peer that passed the handshake, with the codec a real node would use along the connection. */
async function hostilePeer(port: number) {
  const node = `hostile-${randomUUID().slice(0, 8)}@127.0.0.1:1`
  const connection = await connectTcp({ host: '127.0.0.1', port, node, incarnation: randomUUID(), cookie })
  cleanups.push(async () => connection.close())
  const codec = createConnectionCodec({ resolveRef: (address) => address as never })
  return { node, connection, codec }
}

/**
 * A 'tell' to `to` whose message is an array: `first` (if any), then `count` copies of `unit`,
 * packed by hand as msgpackr would read it. Its record uses the id 0x7f, which the peer's own
 * encoder (pongs, asks) does not reach, so both can share the connection.
 */
function tellFrame(
  to: string,
  unit: readonly number[],
  count: number,
  first: readonly number[] = [],
): Buffer {
  const field = (text: string) => [0xa0 + text.length, ...Buffer.from(text)]
  const head = [0xd4, 0x72, 0x7f, 0x93, ...field('kind'), ...field('to'), ...field('message')]
  head.push(...field('tell'), ...field(to), 0xdd)
  const total = count + (first.length > 0 ? 1 : 0)
  const frame = Buffer.alloc(head.length + 4 + first.length + unit.length * count)
  let at = frame.writeUInt32BE(total, Buffer.from(head).copy(frame))
  for (const byte of first) frame[at++] = byte
  for (let i = 0; i < count; i++) for (const byte of unit) frame[at++] = byte
  return frame
}

// An error extension holding { name: '', message: '' }: the first defines record 0x7e, the others
// refer to it (6 bytes each).
const FIRST_ERROR = [0xd4, 0x45, 0x00, 0xd4, 0x72, 0x7e, 0x92, 0xa4, ...Buffer.from('name')]
FIRST_ERROR.push(0xa7, ...Buffer.from('message'), 0xa0, 0xa0)
const NEXT_ERROR = [0xd4, 0x45, 0x00, 0x7e, 0xa0, 0xa0]
/** An empty `Map`. */
const EMPTY_MAP = [0x80]
/** A `Set` of nothing: weight 4 for the set and 1 for its array, what costs most to build per weight. */
const EMPTY_SET = [0xd4, 0x73, 0x00, 0x90]

/** Resolves with the first reply `connection` gets to the ask `id`. */
function replyTo(
  connection: Connection,
  codec: ReturnType<typeof createConnectionCodec>,
  id: number,
): Promise<Envelope> {
  return new Promise((resolve) =>
    connection.onFrame((body) => {
      for (const envelope of codec.decoder.decodeEnvelopes(body)) {
        if (envelope.kind === 'ping')
          connection.send(codec.encoder.encodeEnvelope({ kind: 'pong', at: envelope.at }))
        if ((envelope.kind === 'reply' || envelope.kind === 'error') && envelope.id === id) resolve(envelope)
      }
    }),
  )
}

/** An honest peer asks the victim's echo and gets its answer. */
async function stillServes(port: number): Promise<void> {
  const honest = await hostilePeer(port)
  const reply = replyTo(honest.connection, honest.codec, 7)
  honest.connection.send(
    honest.codec.encoder.encodeEnvelope({ kind: 'ask', to: '/user/echo', id: 7, message: 'still here' }),
  )
  expect(await failAfter(5_000, () => reply)).toMatchObject({ kind: 'reply', message: 'still here' })
}

describe('a node facing an authenticated peer whose frames build too much', () => {
  it('refuses a 1 MiB frame of error extensions at once, closing only that connection, and says why naming the peer', async () => {
    const { port, log } = await victim()
    const { node, connection } = await hostilePeer(port)
    const count = Math.floor((MiB - 64 - FIRST_ERROR.length) / NEXT_ERROR.length)
    const frame = tellFrame('/user/echo', NEXT_ERROR, count, FIRST_ERROR)
    expect(frame.length).toBeLessThanOrEqual(MiB)
    connection.send(frame)
    // Before the budget this frame held the node for seconds (an error with a stack each).
    await failAfter(3_000, () => connection.closed())
    const line = await log.waitFor((l) => l.msg.includes('maxDecodedErrors'), 'refusing the frame')
    expect(line.msg).toContain(`closing the connection to ${node}`)
    expect(line.msg).toContain('more than maxDecodedErrors (1024) errors')
    expect(line.peer).toBe(node)
    await stillServes(port)
  })

  it('refuses frames of empty maps without building them: memory stays flat', async () => {
    const { port, log } = await victim()
    const frame = tellFrame('/user/echo', EMPTY_MAP, MiB - 64)
    const before = process.memoryUsage().heapUsed
    // Eight frames of a million maps each once grew a node by 560 MiB.
    for (let i = 0; i < 8; i++) {
      const { connection } = await hostilePeer(port)
      connection.send(frame)
      await failAfter(3_000, () => connection.closed())
    }
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * MiB)
    const refusals = log.lines.filter((l) => l.msg.includes('more than maxDecodedObjects (524288)'))
    expect(refusals).toHaveLength(8)
    await stillServes(port)
  })

  it('honours smaller limits given to start()', async () => {
    const port = await freePort()
    const log = new CapturedLog()
    const system = await start({
      node: `small@127.0.0.1:${port}`,
      cookie,
      logger: log.logger,
      maxDecodedObjects: 100,
    })
    cleanups.push(() => system.shutdown())
    const { connection } = await hostilePeer(port)
    connection.send(tellFrame('/user/nobody', [0x90], 100))
    await failAfter(3_000, () => connection.closed())
    await log.waitFor((l) => l.msg.includes('more than maxDecodedObjects (100)'), 'the refusal')
    await expect(
      start({ node: `bad@127.0.0.1:${await freePort()}`, cookie, maxDecodedErrors: -1 }),
    ).rejects.toThrow(/invalid option 'maxDecodedErrors'/)
  })
})

describe('a node decoding the worst frames its limits allow, in a loop', () => {
  /**
   * The victim runs in a process of its own, so that only its decoding holds its thread, with the
   * default heartbeats (every second, down after 3 s of silence), and an actor 'other' that answers 0.
   */
  async function victimInProcess(): Promise<string> {
    const node = `flooded@127.0.0.1:${await freePort()}`
    const program = [
      "import { defineActor, start } from 'troupe'",
      `const system = await start({ node: ${JSON.stringify(node)}, cookie: ${JSON.stringify(cookie)}, logLevel: 'warn' })`,
      "system.spawn(defineActor({ receive: (_s, _m, ctx) => ctx.reply(0) }), { name: 'other' })",
      "process.stdout.write('ready\\n')",
    ].join('\n')
    const proc: NodeProcess = startProcess(['--input-type=module', '--eval', program])
    cleanups.push(() => proc.kill())
    await proc.waitFor('ready')
    return node
  }

  it('keeps its heartbeats with another node, and answers it in time', async () => {
    const victimNode = await victimInProcess()
    const port = Number(victimNode.split(':')[1])
    // With the default heartbeats, as the victim: down after 3 s without a frame.
    const honest = await start({ node: `honest@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
    cleanups.push(() => honest.shutdown())
    const other = honest.refOf<{ type: 'get' }>(`troupe://${victimNode}/user/other`)
    expect(await other.ask({ type: 'get' })).toBe(0)
    let down = false
    void honest.watch(other).then(() => {
      down = true
    })

    const { connection, codec } = await hostilePeer(port)
    // Within the defaults: 104,857 sets of weight 5 and the envelope (524,288 of 524,288).
    const worst = tellFrame('/user/nobody', EMPTY_SET, 104_857)
    const accepted = replyTo(connection, codec, 1)
    for (let i = 0; i < 20; i++) connection.send(worst)
    connection.send(
      codec.encoder.encodeEnvelope({ kind: 'ask', to: '/user/other', id: 1, message: { type: 'get' } }),
    )
    // Meanwhile the honest node is answered, well within its heartbeat timeout.
    for (let i = 0; i < 5; i++) {
      const asked = performance.now()
      expect(await failAfter(2_000, () => other.ask({ type: 'get' }))).toBe(0)
      // Within the heartbeat timeout: a burst of frames read at once may hold it for some 100 ms each.
      expect(performance.now() - asked).toBeLessThan(2_500)
    }
    // The hostile frames were within the limits: decoded, in order, on a connection still open.
    expect(await failAfter(20_000, () => accepted)).toMatchObject({ kind: 'reply', message: 0 })
    expect(down).toBe(false)
    expect(await other.ask({ type: 'get' })).toBe(0)
  })
})
