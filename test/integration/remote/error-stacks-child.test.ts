import { portalOf, RemoteActorError, start, startChildNode } from 'troupe'
import { describe, expect, it } from 'vitest'
import { Host, lines } from '../../fixtures/portal-functions.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'
import { within } from '../transport/support.ts'

const fixture = new URL('../../fixtures/portal-functions.ts', import.meta.url).href
const { systems, children } = reapAfterEach()

/** What a portal call of a function that throws in a thread child of a node started with `errorStacks` rejects with. */
async function failureFromChild(errorStacks: boolean | undefined): Promise<RemoteActorError> {
  const system = await start({ logLevel: 'silent', ...(errorStacks === undefined ? {} : { errorStacks }) })
  systems.push(system)
  system.expose({ Host })
  const child = await within(startChildNode(system, { in: 'thread', modules: [fixture] }), 20_000, 'a child')
  children.push(child)
  const host = portalOf(system, system.spawn(Host, { on: child.node }), { timeout: 10_000 })
  const error = await within(
    host.run(lines.divide, ['a', 'b'] as never).then(
      () => undefined,
      (e: unknown) => e,
    ),
    10_000,
    'the call',
  )
  expect(error).toBeInstanceOf(RemoteActorError)
  return error as RemoteActorError
}

describe("a child node takes its parent's errorStacks", () => {
  it('sends no stack by default, as its parent would', async () => {
    const error = await failureFromChild(undefined)
    expect(error.remoteMessage).toBe('divide takes two numbers')
    expect(error.remoteStack ?? '').not.toContain('portal-functions.ts')
  })

  it('sends the stack when its parent was started with errorStacks: true', async () => {
    const error = await failureFromChild(true)
    expect(error.remoteStack).toContain('portal-functions.ts')
  })
})
