import { headers } from '@nats-io/nats-core'
import { Svcm } from '@nats-io/services'
import { InvalidOptionError, start } from 'troupe'
import { describe, expect, it } from 'vitest'
import {
  attachServices,
  ServiceError,
  ServicePayloadError,
  ServiceUnavailableError,
} from '../../../src/services/index.ts'
import { type Client, freshPrefix, servicesHarness } from './services-support.ts'

const nats = servicesHarness()

/** Everything an iterator of replies of the services client yields. */
async function collect<T>(replies: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const reply of replies) all.push(reply)
  return all
}

// The services package types the connection by the copy of nats-core it bundles.
const svcm = (client: Client) => new Svcm(client as unknown as ConstructorParameters<typeof Svcm>[0])

describe('services speak the NATS services protocol', () => {
  it('the standard services client discovers a service by ping, info and stats, and calls its endpoint', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const raw = await nats.client()
    const handle = await server.system.service(
      'adder',
      (numbers: number[]) => {
        if (!Array.isArray(numbers)) throw new ServiceError('expected an array of numbers', { code: 400 })
        return numbers.reduce((sum, n) => sum + n, 0)
      },
      { version: '2.1.0', description: 'adds numbers', metadata: { team: 'maths' } },
    )
    const client = svcm(raw).client({ strategy: 'stall', maxWait: 2_000, stall: 100 })

    const pings = await collect(await client.ping('adder'))
    expect(pings).toEqual([expect.objectContaining({ name: 'adder', id: handle.id, version: '2.1.0' })])
    const [info] = await collect(await client.info('adder'))
    expect(info).toMatchObject({
      name: 'adder',
      description: 'adds numbers',
      metadata: { team: 'maths', 'troupe.prefix': prefix, 'troupe.node': server.system.node },
      endpoints: [{ name: 'adder', subject: `${prefix}.svc.adder`, queue_group: 'q' }],
    })

    // A raw request, as another language's client or `nats req` sends it: JSON text.
    const reply = await raw.request(`${prefix}.svc.adder`, JSON.stringify([1, 2, 3]), { timeout: 1_000 })
    expect(reply.json()).toBe(6)
    const refused = await raw.request(`${prefix}.svc.adder`, '"six"', { timeout: 1_000 })
    expect(refused.headers?.get('Nats-Service-Error-Code')).toBe('400')
    expect(refused.headers?.get('Nats-Service-Error')).toBe('expected an array of numbers')
    const notJson = await raw.request(`${prefix}.svc.adder`, 'one two', { timeout: 1_000 })
    expect(notJson.headers?.get('Nats-Service-Error-Code')).toBe('400')
    expect(notJson.headers?.get('Nats-Service-Error')).toMatch(
      /^the payload of a request to service 'adder' is not JSON/,
    )

    const [stats] = await collect(await client.stats('adder'))
    expect(stats?.endpoints?.[0]).toMatchObject({
      name: 'adder',
      num_requests: 3,
      num_errors: 2,
      last_error: expect.stringMatching(/not JSON/),
    })
    expect(handle.stats()).toMatchObject({ requests: 3, errors: 2 })
  })

  it('a raw request with raw bytes gets raw bytes back', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const raw = await nats.client()
    await server.system.service('reverse', (bytes: Uint8Array) => bytes.slice().reverse())
    const marked = headers()
    marked.set('Content-Type', 'application/octet-stream')
    const reply = await raw.request(`${prefix}.svc.reverse`, new Uint8Array([1, 2, 3]), {
      timeout: 1_000,
      headers: marked,
    })
    expect([...reply.data]).toEqual([3, 2, 1])
    expect(reply.headers?.get('Content-Type')).toBe('application/octet-stream')
  })

  it('two cluster prefixes on one server do not cross', async () => {
    const [p, q] = [freshPrefix(), freshPrefix()]
    const inP = await nats.node(p)
    const inQ = await nats.node(q)
    const callerP = await nats.node(p)
    await inP.system.service('echo', () => 'from p')
    await expect(inQ.system.request('echo')).rejects.toBeInstanceOf(ServiceUnavailableError)
    await inQ.system.service('echo', () => 'from q')
    for (let i = 0; i < 20; i++) expect(await callerP.system.request('echo')).toBe('from p')
    expect(await inQ.system.request('echo')).toBe('from q')
  })
})

describe('services refuse what they cannot do, with clear errors', () => {
  it('a system started without nats says how to get services', async () => {
    await using system = await start({ logLevel: 'silent' })
    await expect(system.service('echo', () => 1)).rejects.toThrow(
      /this system \(local\) has no services layer: start the node with nats/,
    )
    await expect(system.request('echo', 1)).rejects.toThrow(/has no services layer/)
  })

  it('bad names, options and payloads fail at the caller', async () => {
    const prefix = freshPrefix()
    const node = await nats.node(prefix)
    const { system } = node
    for (const name of ['a.b', 'a b', '', 'caf\u00e9', '>'])
      await expect(system.service(name, () => 1)).rejects.toThrow(InvalidOptionError)
    await expect(system.request('a.b')).rejects.toThrow(/invalid option 'name': a service name is/)
    await expect(system.service('ok', () => 1, { version: 'v1' })).rejects.toThrow(/'version'/)
    await expect(system.service('ok', () => 1, { concurrency: 0 })).rejects.toThrow(/'concurrency'/)
    await expect(system.service('ok', () => 1, { maxQueued: -1 })).rejects.toThrow(/'maxQueued'/)
    await expect(system.service('ok', () => 1, { metadata: { n: 1 as unknown as string } })).rejects.toThrow(
      /'metadata.n'/,
    )
    await expect(system.request('ok', 1, { timeout: 0 })).rejects.toThrow(/'timeout'/)

    await system.service('echo', (payload: unknown) => payload)
    await expect(system.request('echo', { n: 1n })).rejects.toThrow(ServicePayloadError)
    await expect(system.request('echo', { n: 1n })).rejects.toThrow(
      /the payload of a request to service 'echo' cannot be encoded as JSON/,
    )
    const cycle: { self?: unknown } = {}
    cycle.self = cycle
    await expect(system.request('echo', cycle)).rejects.toThrow(ServicePayloadError)
    await expect(system.request('echo', () => 1)).rejects.toThrow(/cannot be encoded as JSON: a function/)
    const maxPayload = node.client.info?.max_payload ?? 0
    await expect(system.request('echo', new Uint8Array(maxPayload + 1))).rejects.toThrow(
      /over the NATS server's max_payload/,
    )

    await system.service('leaky', () => ({ big: 2n }))
    const error = await system.request('leaky').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServiceError)
    expect(error).toMatchObject({ code: 500 })
    expect((error as Error).message).toMatch(/the reply of service 'leaky' cannot be encoded as JSON/)
  })

  it('attachServices checks its options', async () => {
    const client = await nats.client()
    await using system = await start({ logLevel: 'silent' })
    expect(() => attachServices(system, { client, prefix: 'a.*' })).toThrow(/invalid option 'prefix'/)
    expect(() => attachServices(system, { client, requestTimeoutMs: -1 })).toThrow(/'requestTimeoutMs'/)
    expect(() => attachServices(system, { client: {} as Client })).toThrow(/invalid option 'client'/)
    attachServices(system, { client })
    expect(() => attachServices(system, { client })).toThrow(/already attached/)
  })
})
