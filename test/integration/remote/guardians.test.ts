import { type ActorSystem, failAfter, type InspectionEvent, start, UntrustedRequestError } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { connectTcp } from '../../../src/transport/index.ts'
import { createCodec } from '../../../src/wire/index.ts'
import { Echo, type EchoMsg, linkerTo } from '../../fixtures/trust-actors.ts'

const cookie = 'guardians-test-cookie'
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((f) => f()))
})

async function tcpNode(name: string, options: { untrusted?: boolean } = {}): Promise<ActorSystem> {
  const system = await start({
    node: `${name}@127.0.0.1:${await freePort()}`,
    cookie,
    logLevel: 'silent',
    supervision: { decide: () => 'stop' },
    ...options,
  })
  cleanups.push(() => system.shutdown())
  return system
}

/** Collects the `refused` events of `system`. */
function refusalsOf(system: ActorSystem): Extract<InspectionEvent, { type: 'refused' }>[] {
  const seen: Extract<InspectionEvent, { type: 'refused' }>[] = []
  system.inspect((event) => {
    if (event.type === 'refused') seen.push(event)
  })
  return seen
}

async function waitUntil(what: string, ok: () => boolean): Promise<void> {
  await failAfter(5_000, async (signal) => {
    while (!ok()) {
      if (signal.aborted) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setImmediate(resolve))
    }
  })
}

describe.each([false, true])('guardians of a TCP node (untrusted: %s)', (untrusted) => {
  it('refuses a remote stop of /user, the root and /system from a trusted peer, and every actor lives on', async () => {
    const target = await tcpNode('target', { untrusted })
    const attacker = await tcpNode('attacker')
    target.spawn(Echo, { name: 'worker' })
    const worker = attacker.refOf<EchoMsg>(`troupe://${target.node}/user/worker`)
    expect(await failAfter(5_000, () => worker.ask({ type: 'echo', text: 'before' }))).toBe('before')
    const refused = refusalsOf(target)
    const error = await failAfter(5_000, () =>
      attacker.stop(attacker.refOf(`troupe://${target.node}/user`)),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UntrustedRequestError)
    expect((error as Error).message).toContain('guardian or a system actor')
    // No actor lives at these: the stop resolves with the watch's `noproc`, and the refusal is seen there.
    const others = ['/', '/system', '/system/registry', '/user/']
    for (const path of others)
      await failAfter(5_000, () => attacker.stop(attacker.refOf(`troupe://${target.node}${path}`)))
    await waitUntil('the refusals', () =>
      others.every((path) => refused.some((event) => event.subject === path)),
    )
    expect(refused.every((event) => event.request === 'stop')).toBe(true)
    expect(await failAfter(5_000, () => worker.ask({ type: 'echo', text: 'after' }))).toBe('after')
    expect(target.actorAt('/user/worker')).toBeDefined()
  })

  it('refuses a remote link to /user, so that an exit of the linked actor stops nothing', async () => {
    const target = await tcpNode('target', { untrusted })
    const attacker = await tcpNode('attacker')
    const refused = refusalsOf(target)
    target.spawn(Echo, { name: 'worker' })
    const linker = attacker.spawn(linkerTo(() => attacker.refOf(`troupe://${target.node}/user`)))
    await failAfter(5_000, () => linker.ask('link'))
    await waitUntil('the refusal of the link', () => refused.some((event) => event.request === 'link'))
    expect(refused.find((event) => event.request === 'link')?.subject).toBe('/user')
    linker.tell('fail')
    const worker = attacker.refOf<EchoMsg>(`troupe://${target.node}/user/worker`)
    expect(await failAfter(5_000, () => worker.ask({ type: 'echo', text: 'after' }))).toBe('after')
    expect(target.actorAt('/user')).toBeDefined()
  })

  it('still takes a stop of one of its user actors from a trusted peer (unless untrusted)', async () => {
    const target = await tcpNode('target', { untrusted })
    const attacker = await tcpNode('attacker')
    target.spawn(Echo, { name: 'worker' })
    const worker = attacker.refOf<EchoMsg>(`troupe://${target.node}/user/worker`)
    const outcome = await failAfter(5_000, () => attacker.stop(worker)).then(
      () => 'stopped',
      (e: unknown) => e,
    )
    if (untrusted) expect(outcome).toBeInstanceOf(UntrustedRequestError)
    else {
      expect(outcome).toBe('stopped')
      await waitUntil('the worker to stop', () => target.actorAt('/user/worker') === undefined)
    }
  })
})

describe('guardians facing a peer that forges envelopes', () => {
  it('a forged stop, link and exit aimed at /user, the root or /system stop and restart nothing', async () => {
    const target = await tcpNode('target')
    const refused = refusalsOf(target)
    const worker = target.spawn(Echo, { name: 'worker' })
    const ended: unknown[] = []
    target.inspect((event) => {
      if (event.type === 'restarted' || event.type === 'stopped') ended.push(event)
    })
    const port = Number(target.node.slice(target.node.lastIndexOf(':') + 1))
    const forger = await connectTcp({ port, node: 'forger@127.0.0.1:1', incarnation: 'forger-1', cookie })
    cleanups.push(() => forger[Symbol.asyncDispose]())
    forger.onFrame(() => {})
    const codec = createCodec({
      resolveRef: () => {
        throw new Error('no refs here')
      },
    })
    const guardians = ['/user', '/', '/system']
    for (const to of guardians) {
      forger.send(codec.encodeEnvelope({ kind: 'stop', target: to, id: 1 }))
      forger.send(codec.encodeEnvelope({ kind: 'link', a: '/user/forged', b: to }))
      forger.send(
        codec.encodeEnvelope({
          kind: 'exit',
          from: '/user/forged',
          to,
          reason: 'failed',
          error: new Error('forged'),
        }),
      )
    }
    await waitUntil('the refusals', () => refused.filter((event) => event.request === 'link').length === 3)
    expect(refused.filter((event) => event.request === 'stop').map((event) => event.subject)).toEqual(
      guardians,
    )
    expect(refused.filter((event) => event.request === 'link').map((event) => event.subject)).toEqual(
      guardians,
    )
    // The same worker, not a restarted one, still answers an honest node.
    const honest = await tcpNode('honest')
    const ref = honest.refOf<EchoMsg>(`troupe://${target.node}/user/worker`)
    expect(await failAfter(5_000, () => ref.ask({ type: 'echo', text: 'alive' }))).toBe('alive')
    expect(target.actorAt('/user/worker')).toBe(worker)
    expect(target.actorAt('/user')).toBeDefined()
    expect(ended).toEqual([])
  })
})
