import { randomUUID } from 'node:crypto'
import { Packr } from 'msgpackr'
import { type ActorSystem, defineActor, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { connectTcp } from '../../../src/transport/index.ts'
import { createCodec } from '../../../src/wire/index.ts'

const cookie = 'hostile-test-cookie'
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

const plain = new Packr({ useRecords: false })
const msgpackEncode = (value: unknown) => plain.pack(value)
const codec = createCodec({
  resolveRef: () => {
    throw new Error('no refs here')
  },
})
const encodeEnvelope = codec.encodeEnvelope.bind(codec)

const Echo = defineActor<string>({ receive: (_s, m, ctx) => ctx.reply(m) })

async function node(): Promise<{ system: ActorSystem; port: number }> {
  const port = await freePort()
  const system = await start({ node: `n@127.0.0.1:${port}`, cookie, logLevel: 'silent' })
  cleanups.push(() => system.shutdown())
  system.spawn(Echo, { name: 'echo' })
  return { system, port }
}

/** A peer that passed the handshake, and can then send anything. */
async function rawPeer(port: number) {
  const connection = await connectTcp({
    host: '127.0.0.1',
    port,
    node: `raw-${randomUUID()}@127.0.0.1:1`,
    incarnation: randomUUID(),
    cookie,
  })
  cleanups.push(async () => connection.close())
  return connection
}

describe('a node facing a peer that breaks the protocol', () => {
  it.each([
    ['malformed msgpack', Buffer.from([0xc1, 0xff, 0x00])],
    ['an unknown envelope kind', msgpackEncode({ kind: 'launch-missiles', to: '/user/echo' })],
    ['an envelope missing its fields', msgpackEncode({ kind: 'ask', to: '/user/echo' })],
    ['a __proto__ key', Buffer.from('81a95f5f70726f746f5f5f81a178a17a', 'hex')],
  ])('closes only the connection that sent %s and keeps serving', async (_what, body) => {
    const { system, port } = await node()
    const good = await rawPeer(port)
    const bad = await rawPeer(port)
    bad.send(body)
    // the node closes the offending connection (the test times out if it does not)
    await bad.closed()
    expect(({} as Record<string, unknown>).x).toBeUndefined()
    // the node still answers a well-formed ask on the other connection
    const replies: unknown[] = []
    const answered = new Promise<void>((resolve) =>
      good.onFrame((frame) => {
        replies.push(frame)
        resolve()
      }),
    )
    good.send(encodeEnvelope({ kind: 'ask', to: '/user/echo', id: 1, message: 'still here' }))
    await answered
    expect(replies).toHaveLength(1)
    expect(system.localActor('echo')).toBeDefined()
  })
})
