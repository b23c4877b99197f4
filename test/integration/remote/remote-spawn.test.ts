import {
  type ActorSystem,
  defineActor,
  failAfter,
  type InspectionEvent,
  RemoteSpawnError,
  start,
  type Terminated,
} from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'

const cookie = 'remote-spawn-test-cookie'
const systems: ActorSystem[] = []

afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.shutdown()))
})

/** A node listening on a free port of 127.0.0.1. */
async function node(name: string): Promise<ActorSystem> {
  const system = await start({ node: `${name}@127.0.0.1:${await freePort()}`, cookie, logLevel: 'silent' })
  systems.push(system)
  return system
}

type EchoMsg = { type: 'echo'; text: string }
const Echo = defineActor<EchoMsg>({ receive: (_s, msg, ctx) => ctx.reply(msg.text) })

describe('a remote spawn the other node refuses, over TCP', () => {
  it('rejects the asks sent before the answer came, and after, with the reason', async () => {
    const a = await node('a')
    const b = await node('b')
    a.expose({ echo: Echo })
    const ref = a.spawn(Echo, { on: b.node, name: 'echo' })
    // Sent at once, before b has answered the spawn.
    const early = ref.ask({ type: 'echo', text: 'early' }).catch((e: unknown) => e)
    const error = await failAfter(10_000, () => early)
    expect(error).toBeInstanceOf(RemoteSpawnError)
    expect((error as Error).message).toMatch(new RegExp(`node ${b.node} does not expose 'echo'`))
    const late = await failAfter(10_000, () =>
      ref.ask({ type: 'echo', text: 'late' }).catch((e: unknown) => e),
    )
    expect(late).toBeInstanceOf(RemoteSpawnError)
  })

  it('gives watchers the reason, and sends tells to dead letters here', async () => {
    const a = await node('a')
    const b = await node('b')
    a.expose({ echo: Echo })
    const ref = a.spawn(Echo, { on: b.node })
    const terminated: Terminated = await failAfter(10_000, () => a.watch(ref))
    expect(terminated.reason).toBe('failed')
    expect(terminated.error).toBeInstanceOf(RemoteSpawnError)
    const deadLetters: InspectionEvent[] = []
    const stop = a.inspect((event) => {
      if (event.type === 'dead-letter') deadLetters.push(event)
    })
    ref.tell({ type: 'echo', text: 'nobody' })
    stop()
    expect(deadLetters).toHaveLength(1)
    expect(deadLetters[0]).toMatchObject({ type: 'dead-letter', to: ref, reason: 'stopped' })
  })

  it('forgets the failure once a spawn under the same name succeeds', async () => {
    const a = await node('a')
    const b = await node('b')
    a.expose({ echo: Echo })
    const refused = a.spawn(Echo, { on: b.node, name: 'echo' })
    await expect(failAfter(10_000, () => refused.ask({ type: 'echo', text: '?' }))).rejects.toThrow(
      RemoteSpawnError,
    )
    b.expose({ echo: Echo })
    const spawned = a.spawn(Echo, { on: b.node, name: 'echo' })
    expect(await failAfter(10_000, () => spawned.ask({ type: 'echo', text: 'hi' }))).toBe('hi')
  })
})
