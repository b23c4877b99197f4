import { threadId } from 'node:worker_threads'
import { portalOf, RemoteActorError, start, startChildNode } from 'troupe'
import { describe, expect, it } from 'vitest'
import { Host, lines } from '../../fixtures/portal-functions.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'
import { within } from '../transport/support.ts'

const fixture = new URL('../../fixtures/portal-functions.ts', import.meta.url).href
const { systems, children } = reapAfterEach()

describe.each(['thread', 'process'] as const)('a portal to an actor of a child %s', (kind) => {
  it('runs the exposed functions in the child', async () => {
    const system = await start({ logLevel: 'silent' })
    systems.push(system)
    system.expose({ Host })
    const child = await within(
      startChildNode(system, { in: kind, modules: [fixture], graceMs: 1_000 }),
      20_000,
      `a child ${kind}`,
    )
    children.push(child)
    const host = portalOf(system, system.spawn(Host, { on: child.node, name: 'host' }), { timeout: 10_000 })

    const where = await host.run(lines.hi)
    expect(where.actor).toBe(`troupe://${child.node}/user/host`)
    expect(where.name).toBe('host')
    if (kind === 'process') {
      expect(where.pid).toBe(child.id)
      expect(where.pid).not.toBe(process.pid)
    } else {
      expect(where.pid).toBe(process.pid)
      expect(where.threadId).toBe(child.id)
      expect(where.threadId).not.toBe(threadId)
    }
    expect(await host.run(lines.sayHello, ['gretchen'])).toBe('Hello, gretchen!')

    const error = await host.run(lines.divide, [1, 0]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteActorError)
    expect((error as RemoteActorError).cause).toBeInstanceOf(RangeError)
    expect((error as RemoteActorError).actor).toBe(`troupe://${child.node}/user/host`)
  })
})
