import {
  type ActorSystem,
  AskTimeoutError,
  type FunctionRef,
  InvalidOptionError,
  NotExposedError,
  portalOf,
  RemoteActorError,
} from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { contexts } from '../../fixtures/context-functions.ts'
import { Host, lines } from '../../fixtures/portal-functions.ts'
import { streams } from '../../fixtures/stream-functions.ts'
import { startInProcessNode } from '../../support/in-process-node.ts'

const fixture = new URL('../../fixtures/portal-functions.ts', import.meta.url).href
const systems: ActorSystem[] = []

async function node(network: InProcessNetwork, name: string): Promise<ActorSystem> {
  const system = await startInProcessNode(network, name)
  system.expose({ Host })
  systems.push(system)
  return system
}

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

async function pair() {
  const net = new InProcessNetwork()
  const a = await node(net, 'a')
  const b = await node(net, 'b')
  const host = a.spawn(Host, { on: b.node, name: 'host' })
  expect(await host.ask({ type: 'ping' })).toBe('pong')
  return { a, b, portal: portalOf(a, host) }
}

describe('portals over the in-process network', () => {
  it('leaves the arguments to the function: wrong ones give a TypeError cause', async () => {
    const { portal } = await pair()
    const error = await portal
      .run(lines.divide, ['six', 3] as unknown as [number, number])
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(TypeError)
  })

  it('refuses functions that are not exposed, naming the module and the function', async () => {
    const { portal } = await pair()
    const secret = { module: fixture, name: 'secret' } as FunctionRef<() => string>
    const error = await portal.run(secret).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    const cause = (error as RemoteActorError).cause
    expect(cause).toBeInstanceOf(NotExposedError)
    expect((cause as Error).message).toContain("does not expose 'secret'")
    expect((cause as Error).message).toContain(fixture)

    const elsewhere = { module: 'file:///nowhere.ts', name: 'hi' } as FunctionRef<() => void>
    const unknown = await portal.run(elsewhere).catch((e: unknown) => e)
    expect(((unknown as RemoteActorError).cause as Error).message).toContain(
      'exposes no functions of file:///nowhere.ts',
    )
  })

  it('rejects a call to an actor that is gone', async () => {
    const { a, b } = await pair()
    const portal = portalOf(a, 'troupe://b@127.0.0.1:1/user/nobody')
    const error = await portal.run(lines.hi).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect(((error as RemoteActorError).cause as Error).name).toBe('ActorStoppedError')
    expect(b.actorAt('/user/nobody')).toBeUndefined()
  })

  it('runs on a local actor in this node, with its own errors', async () => {
    const { a } = await pair()
    const local = portalOf(a, a.spawn(Host, { name: 'here' }))
    const where = await local.run(lines.hi)
    expect(where.actor).toBe(local.address)
    await expect(local.run(lines.divide, [1, 0])).rejects.toBeInstanceOf(RangeError)
  })
})

describe('the arguments and options of a portal call', () => {
  it('takes the arguments as one array, checked against the parameters; none for no parameters', async () => {
    const { portal } = await pair()
    expect(await portal.run(lines.divide, [6, 3])).toBe(2)
    expect((await portal.run(lines.hi)).name).toBe('host')
    expect((await portal.run(lines.hi, [])).name).toBe('host')
    // @ts-expect-error the arguments go in one array
    const spread = await portal.run(lines.divide, 6, 3).catch((e: unknown) => e)
    expect(spread).toBeInstanceOf(InvalidOptionError)
    expect((spread as Error).message).toContain("portal.run takes the arguments of 'divide' as one array")
    // @ts-expect-error divide takes two numbers
    const missing = portal.run(lines.divide)
    await expect(missing).rejects.toBeInstanceOf(RemoteActorError)
    // @ts-expect-error divide takes numbers, not strings
    await expect(portal.run(lines.divide, ['6', 3])).rejects.toBeInstanceOf(RemoteActorError)
    // @ts-expect-error one argument, not an array of one
    expect(() => portal.stream(streams.numbers, 3)).toThrow(InvalidOptionError)
    // @ts-expect-error the options are an object
    await expect(portal.open(contexts.echo, [''], 16)).rejects.toBeInstanceOf(InvalidOptionError)
  })

  it("gives a call's own options precedence over the portal's, which stay its defaults", async () => {
    const { a, portal } = await pair()
    const patient = portalOf(a, portal, { timeout: 60_000 })
    const began = Date.now()
    await expect(patient.run(streams.awaitCancel, [], { timeout: 100 })).rejects.toBeInstanceOf(
      AskTimeoutError,
    )
    expect(Date.now() - began).toBeLessThan(5_000)
    const hasty = portalOf(a, portal, { timeout: 100 })
    await expect(hasty.run(streams.awaitCancel)).rejects.toBeInstanceOf(AskTimeoutError)

    const controller = new AbortController()
    const call = patient.run(streams.awaitCancel, [], { signal: controller.signal })
    controller.abort(new Error('no longer needed'))
    await expect(call).rejects.toThrow('no longer needed')
  })

  it('refuses bad options with InvalidOptionError naming them', async () => {
    const { portal } = await pair()
    await expect(portal.run(lines.hi, [], { timeout: -1 })).rejects.toThrow(/timeout/)
    expect(() => portal.stream(streams.numbers, [3], { window: 0 })).toThrow(/window/)
    await expect(portal.open(contexts.echo, [''], { signal: 'stop' as never })).rejects.toThrow(/signal/)
  })
})

describe('the open envelope of a run', () => {
  it('is checked field by field', async () => {
    const { checkEnvelope } = await import('../../../src/wire/check-envelope.ts')
    const call = {
      kind: 'open',
      id: 1,
      actor: '',
      module: fixture,
      name: 'hi',
      args: [],
      mode: 'run',
      window: 1,
    }
    expect(checkEnvelope(call)).toBe(call)
    expect(() => checkEnvelope({ ...call, args: 'x' })).toThrow("envelope 'open' needs 'args' to be an array")
    expect(() => checkEnvelope({ ...call, module: undefined })).toThrow("envelope 'open' lacks 'module'")
    expect(() => checkEnvelope({ ...call, id: -1 })).toThrow("envelope 'open' needs 'id'")
    expect(() => checkEnvelope({ ...call, mode: undefined })).toThrow("envelope 'open' lacks 'mode'")
  })
})
