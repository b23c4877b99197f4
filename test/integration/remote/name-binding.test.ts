import { type ActorSystem, defineActor, failAfter, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { connectTcp } from '../../../src/transport/index.ts'
import { CapturedLog } from '../transport/support.ts'

const cookie = 'name-binding-test-cookie'
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

const Echo = defineActor<string>({ receive: (_s, msg, ctx) => ctx.reply(`${msg} from ${ctx.system.node}`) })

async function tcpNode(name: string, log?: CapturedLog): Promise<ActorSystem> {
  const system = await start({
    node: `${name}@127.0.0.1:${await freePort()}`,
    cookie,
    ...(log === undefined ? { logLevel: 'silent' as const } : { logger: log.logger }),
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 1_000,
  })
  cleanups.push(() => system.shutdown())
  system.spawn(Echo, { name: 'echo' })
  return system
}

function portOfNode(system: ActorSystem): number {
  return Number(system.node.slice(system.node.lastIndexOf(':') + 1))
}

describe("a node's name is bound to the connection that proved it first", () => {
  it('refuses a cookie holder that claims the name of a live node; the real node is still answered', async () => {
    const log = new CapturedLog()
    const a = await tcpNode('a', log)
    const b = await tcpNode('b')
    const fromB = b.refOf<string>(`troupe://${a.node}/user/echo`)
    const fromA = a.refOf<string>(`troupe://${b.node}/user/echo`)
    expect(await failAfter(5_000, () => fromB.ask('before'))).toBe(`before from ${a.node}`)

    // The claimant proves the cookie and says it is b, with an incarnation of its own.
    const claimant = await connectTcp({
      node: b.node,
      incarnation: 'forged-incarnation',
      cookie,
      port: portOfNode(a),
    })
    cleanups.push(() => claimant[Symbol.asyncDispose]())
    const received: Uint8Array[] = []
    claimant.onFrame((body) => received.push(body))
    await failAfter(5_000, () => claimant.closed())
    const line = await log.waitFor((l) => l.msg.includes('claims to be node'), 'the refusal of the claim')
    expect(line.msg).toContain(`claims to be node ${b.node}: a live ${b.node} is connected`)

    // The real b still gets its replies, and a still reaches the real b.
    for (let n = 0; n < 20; n++)
      expect(await failAfter(5_000, () => fromB.ask(`ask ${n}`))).toBe(`ask ${n} from ${a.node}`)
    expect(await failAfter(5_000, () => fromA.ask('to b'))).toBe(`to b from ${b.node}`)
    expect(received).toEqual([])
  })

  it('logs a flood of claims once per interval, and takes a restarted node once the old one is gone', async () => {
    const log = new CapturedLog()
    const a = await tcpNode('a', log)
    const b = await tcpNode('b')
    const fromB = b.refOf<string>(`troupe://${a.node}/user/echo`)
    expect(await failAfter(5_000, () => fromB.ask('before'))).toBe(`before from ${a.node}`)
    for (let n = 0; n < 10; n++) {
      const claimant = await connectTcp({
        node: b.node,
        incarnation: `forged-${n}`,
        cookie,
        port: portOfNode(a),
      })
      cleanups.push(() => claimant[Symbol.asyncDispose]())
      await failAfter(5_000, () => claimant.closed())
    }
    expect(log.lines.filter((l) => l.msg.includes('claims to be node'))).toHaveLength(1)

    // b goes away; a new run under the same name connects and is answered.
    await b.shutdown()
    const again = await start({ node: b.node, cookie, logLevel: 'silent' })
    cleanups.push(() => again.shutdown())
    const fromAgain = again.refOf<string>(`troupe://${a.node}/user/echo`)
    expect(await failAfter(5_000, () => fromAgain.ask('after'))).toBe(`after from ${a.node}`)
  })
})
