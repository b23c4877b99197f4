import { failAfter, moveOnAfter, TimeoutError } from 'troupe'
import { deferred } from 'troupe/testkit'
import { describe, expect, it } from 'vitest'
import {
  ServiceBusyError,
  ServiceError,
  ServiceTimeoutError,
  ServiceUnavailableError,
} from '../../../src/services/index.ts'
import { freshPrefix, servicesHarness, waitUntil } from './services-support.ts'

const nats = servicesHarness()

describe('system.service and system.request over a real nats-server', () => {
  it('a node requests a service another node serves, with JSON and raw bytes', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    await server.system.service('echo', (payload: unknown, info) => ({ got: payload, on: info.subject }))
    await server.system.service('bytes', (payload: Uint8Array) => payload.map((b) => b + 1))

    expect(await caller.system.request('echo', { a: [1, 'two'] })).toEqual({
      got: { a: [1, 'two'] },
      on: `${prefix}.svc.echo`,
    })
    expect(await caller.system.request('echo')).toEqual({ on: `${prefix}.svc.echo` })
    const reply = await caller.system.request<Uint8Array>('bytes', new Uint8Array([1, 2, 255]))
    expect(reply).toBeInstanceOf(Uint8Array)
    expect([...reply]).toEqual([2, 3, 0])
  })

  it('balances requests over every node that serves the name (the queue group)', async () => {
    const prefix = freshPrefix()
    const a = await nats.node(prefix)
    const b = await nats.node(prefix)
    const caller = await nats.node(prefix)
    await a.system.service('who', () => a.system.node)
    await b.system.service('who', () => b.system.node)
    const replies = await Promise.all(Array.from({ length: 100 }, () => caller.system.request<string>('who')))
    const byNode = new Map<string, number>()
    for (const node of replies) byNode.set(node, (byNode.get(node) ?? 0) + 1)
    expect(byNode.get(a.system.node)).toBeGreaterThan(0)
    expect(byNode.get(b.system.node)).toBeGreaterThan(0)
    expect(byNode.get(a.system.node)! + byNode.get(b.system.node)!).toBe(100)
  })

  it('runs at most `concurrency` handlers at once on a node; the others wait in its queue', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    const release = deferred()
    let inFlight = 0
    let most = 0
    const handle = await server.system.service(
      'slow',
      async (n: number) => {
        most = Math.max(most, ++inFlight)
        await release.promise
        inFlight--
        return n * 2
      },
      { concurrency: 3 },
    )
    const replies = Promise.all(
      Array.from({ length: 10 }, (_, i) => caller.system.request<number>('slow', i)),
    )
    await waitUntil(
      '3 running and 7 queued',
      () => handle.stats().inFlight === 3 && handle.stats().queued === 7,
    )
    expect(inFlight).toBe(3)
    release.resolve()
    expect(await replies).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    expect(most).toBe(3)
    expect(handle.stats()).toMatchObject({ requests: 10, errors: 0, inFlight: 0, queued: 0 })
  })

  it('refuses a request beyond its queue (maxQueued) with a busy error the requester gets', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    const release = deferred()
    const handle = await server.system.service('narrow', () => release.promise.then(() => 'done'), {
      concurrency: 1,
      maxQueued: 1,
    })
    const outcomes = Array.from({ length: 3 }, () =>
      caller.system.request('narrow').then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
    )
    // One runs, one waits, and the third is refused without waiting for the others.
    const refused = await Promise.race(outcomes)
    expect(refused).toHaveProperty('error')
    const error = (refused as { error: unknown }).error
    expect(error).toBeInstanceOf(ServiceBusyError)
    expect(error).toBeInstanceOf(ServiceError)
    expect(error).toMatchObject({ code: 503, service: 'narrow' })
    expect((error as Error).message).toMatch(
      /service 'narrow' failed \(503\): busy: 1 handlers running and 1/,
    )
    release.resolve()
    const all = await Promise.all(outcomes)
    expect(all.filter((o) => 'value' in o)).toEqual([{ value: 'done' }, { value: 'done' }])
    expect(handle.stats()).toMatchObject({ requests: 3, errors: 1 })
  })

  it('a request to a service no node serves fails at once with ServiceUnavailableError', async () => {
    const caller = await nats.node(freshPrefix())
    const started = performance.now()
    const error = await caller.system.request('nobody', 1, { timeout: 5_000 }).catch((e: unknown) => e)
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(ServiceUnavailableError)
    expect((error as Error).message).toBe("service 'nobody' is unavailable: no node serves it")
    expect(elapsed).toBeLessThan(200)
  })

  it("a handler's throw reaches the requester as a ServiceError with its message and code", async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    await server.system.service('fails', async (kind: string) => {
      if (kind === 'missing') throw new ServiceError('no such order', { code: 404 })
      throw new Error('boom\nsecond line')
    })
    const plain = await caller.system.request('fails', 'plain').catch((e: unknown) => e)
    expect(plain).toBeInstanceOf(ServiceError)
    expect(plain).toMatchObject({ code: 500, detail: 'boom', service: 'fails' })
    expect((plain as Error).message).toBe("service 'fails' failed (500): boom")
    const missing = await caller.system.request('fails', 'missing').catch((e: unknown) => e)
    expect(missing).toMatchObject({ code: 404, detail: 'no such order', name: 'ServiceError' })
  })

  it('a request with no reply in time rejects with a ServiceTimeoutError naming the service and the timeout', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix, { requestTimeoutMs: 150 })
    await server.system.service(
      'stuck',
      (_payload, info) => new Promise((resolve) => info.signal.addEventListener('abort', resolve)),
    )
    const error = await caller.system.request('stuck', null, { timeout: 100 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServiceTimeoutError)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toMatchObject({ service: 'stuck', ms: 100 })
    expect((error as Error).message).toBe("request to service 'stuck' timed out after 100 ms")
    // The node's default timeout applies when the request gives none.
    await expect(caller.system.request('stuck')).rejects.toMatchObject({ ms: 150 })
  })

  it('a request is cancelled by its signal and by the ambient cancel scope', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    let started = deferred()
    await server.system.service('held', (_payload, info) => {
      started.resolve()
      return new Promise((resolve) => info.signal.addEventListener('abort', resolve))
    })

    const controller = new AbortController()
    const given = caller.system.request('held', 1, { signal: controller.signal, timeout: 10_000 })
    await started.promise
    const reason = new Error('caller gave up')
    controller.abort(reason)
    await expect(given).rejects.toBe(reason)

    // An aborted signal refuses the request before it is sent.
    await expect(caller.system.request('held', 1, { signal: controller.signal })).rejects.toBe(reason)

    started = deferred()
    const begun = performance.now()
    const moved = await moveOnAfter(100, () => caller.system.request('held', 2, { timeout: 10_000 }))
    expect(moved).toBeUndefined()
    expect(performance.now() - begun).toBeLessThan(2_000)

    await expect(
      failAfter(100, () => caller.system.request('held', 3, { timeout: 10_000 })),
    ).rejects.toBeInstanceOf(TimeoutError)
  })

  it('stop() takes the service off the node: a later request fails fast', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    const handle = await server.system.service('brief', () => 'here')
    expect(await caller.system.request('brief')).toBe('here')
    await handle.stop()
    await handle.stop()
    const started = performance.now()
    await expect(caller.system.request('brief')).rejects.toBeInstanceOf(ServiceUnavailableError)
    expect(performance.now() - started).toBeLessThan(200)
    // The name can be served again.
    await server.system.service('brief', () => 'back')
    expect(await caller.system.request('brief')).toBe('back')
  })

  it('stop() tells running handlers through their signal and waits for them', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    const started = deferred()
    let sawAbort = false
    const handle = await server.system.service('long', async (_payload, info) => {
      started.resolve()
      await new Promise((resolve) => info.signal.addEventListener('abort', resolve))
      sawAbort = true
      return 'finished early'
    })
    const reply = caller.system.request('long')
    await started.promise
    await handle.stop()
    expect(sawAbort).toBe(true)
    expect(await reply).toBe('finished early')
  })

  it('stop() stops waiting for a handler that ignores its signal after stopGraceMs', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix, { stopGraceMs: 100 })
    const caller = await nats.node(prefix)
    const started = deferred()
    const never = deferred<string>()
    const handle = await server.system.service('deaf', () => {
      started.resolve()
      return never.promise
    })
    const reply = caller.system.request('deaf', null, { timeout: 1_000 }).catch((e: unknown) => e)
    await started.promise
    const begun = performance.now()
    await handle.stop()
    expect(performance.now() - begun).toBeGreaterThanOrEqual(90)
    expect(handle.stats().inFlight).toBe(1)
    // Its connection is open still, so its late reply reaches the requester.
    never.resolve('late')
    expect(await reply).toBe('late')
  })

  it('a closed NATS connection: its services end, and its requests fail with the reason', async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    const handle = await server.system.service('gone', () => 'here')
    expect(await caller.system.request('gone')).toBe('here')
    await server.client.close()
    // nats-server learns of the closed connection on its own time: until it has, a request may still be
    // routed to the dead subscription and time out. None is ever answered, and once the server knows,
    // requests fail at once as unavailable.
    await failAfter(5_000, async () => {
      for (;;) {
        const error = await caller.system.request('gone', null, { timeout: 200 }).catch((e: unknown) => e)
        if (error instanceof ServiceUnavailableError) return
        expect(error).toBeInstanceOf(ServiceTimeoutError)
      }
    })
    await handle.stop()
    await caller.client.close()
    const error = await caller.system.request('gone').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServiceUnavailableError)
    expect((error as Error).message).toBe("service 'gone' is unavailable: the connection to NATS is closed")
  })

  it("the system's shutdown stops its services: requests from other nodes fail fast", async () => {
    const prefix = freshPrefix()
    const server = await nats.node(prefix)
    const caller = await nats.node(prefix)
    await server.system.service('a', () => 1)
    await server.system.service('b', () => 2)
    expect(await caller.system.request('a')).toBe(1)
    await server.system.shutdown()
    for (const name of ['a', 'b']) {
      const started = performance.now()
      await expect(caller.system.request(name)).rejects.toBeInstanceOf(ServiceUnavailableError)
      expect(performance.now() - started).toBeLessThan(200)
    }
    await expect(server.system.service('c', () => 3)).rejects.toThrow(/has shut down its services/)
  })
})
