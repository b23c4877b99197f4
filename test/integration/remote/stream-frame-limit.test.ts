import { EventEmitter, once } from 'node:events'
import {
  type ChildNode,
  defineActor,
  failAfter,
  MessageTooLargeError,
  portalOf,
  RemoteActorError,
  start,
  startChildNode,
} from 'troupe'
import { describe, expect, it } from 'vitest'
import { type Block, blockOf, large } from '../../fixtures/large-item-functions.ts'
import { Host } from '../../fixtures/portal-functions.ts'
import { reapAfterEach } from '../../support/child-nodes.ts'

const modules = [
  new URL('../../fixtures/portal-functions.ts', import.meta.url).href,
  new URL('../../fixtures/large-item-functions.ts', import.meta.url).href,
]
const { systems, children } = reapAfterEach()

const KiB = 1024
const MiB = 1024 * KiB
/** Every connection's `maxFrameBytes` by default. */
const FRAME_LIMIT = MiB

/** What the child's functions report, re-emitted here by type. */
const reports = new EventEmitter()
const Reporter = defineActor<{ type: string; detail?: unknown }>({
  receive(state, message) {
    reports.emit(message.type, message)
    return state
  },
})

function report(type: 'finally' | 'aborted', ms = 10_000): Promise<{ detail?: unknown }> {
  return once(reports, type, { signal: AbortSignal.timeout(ms) }).then(([message]) => message)
}

async function setUp(kind: 'thread' | 'process') {
  const system = await start({ logLevel: 'silent' })
  systems.push(system)
  system.expose({ Host })
  const child: ChildNode = await failAfter(20_000, () =>
    startChildNode(system, { in: kind, modules, graceMs: 1_000 }),
  )
  children.push(child)
  const host = portalOf(system, system.spawn(Host, { on: child.node, name: 'host' }), { timeout: 10_000 })
  expect(await host.ask({ type: 'ping' })).toBe('pong')
  // A node-down would end this watch: the host's node is lost with its connection.
  let terminated: unknown
  void system.watch(host).then((t) => {
    terminated = t
  })
  const reporter = system.spawn(Reporter, { name: 'reporter' })
  return { system, child, host, reporter, terminated: () => terminated }
}

/** Busy for `ms`: a consumer far slower than the producer, which never awaits in between. */
function work(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

/** Whether `block` is the `i`th block of `bytes` a stream sends. */
function isBlock(block: Block, i: number, bytes: number): boolean {
  return block.i === i && block.data.length === bytes && block.data.equals(blockOf(i, bytes).data)
}

/** The message a too-large value's error has: its frame's size and the limit, in bytes. */
const namesSizeAndLimit = new RegExp(`frame would be \\d+ bytes, over the limit of ${FRAME_LIMIT} bytes`)

describe.each(['thread', 'process'] as const)('values near the frame limit, with a child %s', (kind) => {
  it('streams 200 items of 16 KiB to a consumer 100x slower, in order, with no node-down', async () => {
    const { host, terminated } = await setUp(kind)
    let next = 0
    await failAfter(30_000, async () => {
      for await (const block of host.stream(large.blocks, [200, 16 * KiB])) {
        if (!isBlock(block, next, 16 * KiB)) expect.fail(`item ${block.i} came where ${next} was due`)
        next++
        work(1)
      }
    })
    expect(next).toBe(200)
    expect(await host.run(large.sizeOf, [Buffer.alloc(3)])).toBe(3)
    expect(terminated()).toBeUndefined()
  })

  it('fails only the stream with a 2 MiB item, on both sides; the other stream and a later run go on', async () => {
    const { host, reporter, terminated } = await setUp(kind)
    const finished = report('finally')
    const huge = (async () => {
      const seen: number[] = []
      const error = await (async () => {
        for await (const block of host.stream(large.blocksWithHuge, [100, 16 * KiB, 50, 2 * MiB, reporter])) {
          seen.push(block.i)
          work(1)
        }
      })().catch((e: unknown) => e)
      return { seen, error }
    })()
    const other = (async () => {
      let next = 0
      for await (const block of host.stream(large.blocks, [200, 16 * KiB])) {
        if (!isBlock(block, next, 16 * KiB)) expect.fail(`item ${block.i} came where ${next} was due`)
        next++
        work(1)
      }
      return next
    })()
    const [failed, completed] = await failAfter(30_000, () => Promise.all([huge, other]))

    expect(completed).toBe(200)
    expect(failed.seen).toEqual(Array.from({ length: 50 }, (_, i) => i))
    const error = failed.error as RemoteActorError
    expect(error).toBeInstanceOf(RemoteActorError)
    expect(error.cause).toBeInstanceOf(MessageTooLargeError)
    expect(error.message).toMatch(/a stream item cannot be sent/)
    expect(error.message).toMatch(namesSizeAndLimit)
    const cause = error.cause as MessageTooLargeError
    expect(cause.bytes).toBeGreaterThan(2 * MiB)
    expect(cause.maxFrameBytes).toBe(FRAME_LIMIT)
    // The producer's side: its generator was cancelled with the same reason.
    expect((await finished).detail).toMatch(namesSizeAndLimit)

    expect(await host.run(large.sizeOf, [Buffer.alloc(5)])).toBe(5)
    expect(terminated()).toBeUndefined()
  })

  it('fails a run whose argument or result is over the limit, and only that run', async () => {
    const { host, terminated } = await setUp(kind)
    const argument = await host.run(large.sizeOf, [Buffer.alloc(2 * MiB)]).catch((e: unknown) => e)
    expect(argument).toBeInstanceOf(MessageTooLargeError)
    expect((argument as Error).message).toMatch(/the arguments of 'sizeOf' cannot be sent/)
    expect((argument as Error).message).toMatch(namesSizeAndLimit)

    const result = await host.run(large.bufferOf, [2 * MiB]).catch((e: unknown) => e)
    expect(result).toBeInstanceOf(RemoteActorError)
    expect((result as RemoteActorError).cause).toBeInstanceOf(MessageTooLargeError)
    expect((result as Error).message).toMatch(/the result cannot be sent/)
    expect((result as Error).message).toMatch(namesSizeAndLimit)

    expect((await host.run(large.bufferOf, [512 * KiB])).length).toBe(512 * KiB)
    expect(terminated()).toBeUndefined()
  })

  it('fails a context whose value is over the limit, either way, on both sides', async () => {
    const { host, reporter, terminated } = await setUp(kind)
    // From the child: its send throws, the caller's loop and result reject.
    const fromChild = await host.open(large.bufferServer, [reporter])
    const childAborted = report('aborted')
    await fromChild.send(KiB)
    expect((await fromChild.next()).value).toHaveLength(KiB)
    await fromChild.send(2 * MiB)
    const read = await fromChild.next().catch((e: unknown) => e)
    expect(read).toBeInstanceOf(RemoteActorError)
    expect((read as Error).message).toMatch(/a value sent to the caller of a context cannot be sent/)
    expect((read as Error).message).toMatch(namesSizeAndLimit)
    await expect(fromChild.result()).rejects.toBe(read)
    expect((await childAborted).detail).toMatch(namesSizeAndLimit)

    // To the child: the caller's send rejects, the child's signal aborts saying why.
    const toChild = await host.open(large.sizeCounter, [reporter])
    const aborted = report('aborted')
    await toChild.send(Buffer.alloc(KiB))
    const sent = await toChild.send(Buffer.alloc(2 * MiB)).catch((e: unknown) => e)
    expect(sent).toBeInstanceOf(MessageTooLargeError)
    expect((sent as Error).message).toMatch(/a value sent to the function of a context cannot be sent/)
    await expect(toChild.result()).rejects.toBe(sent)
    expect((await aborted).detail).toMatch(namesSizeAndLimit)

    expect(await host.run(large.sizeOf, [Buffer.alloc(7)])).toBe(7)
    expect(terminated()).toBeUndefined()
  })
})
