import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { type Logger, pino } from 'pino'
import {
  ActorNotFoundError,
  type ActorSystem,
  type ClusterOptions,
  defineActor,
  InvalidOptionError,
  listActors,
  RegistryUnavailableError,
  start,
} from 'troupe'
import { InProcessNetwork } from 'troupe/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_REGISTRY_PORT } from '../../../src/internal.ts'

type CounterMsg = { type: 'inc'; by: number } | { type: 'get' }

const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  receive(n, msg, ctx) {
    if (msg.type === 'get') ctx.reply(n)
    return msg.type === 'inc' ? n + msg.by : n
  },
})

/** A logger that keeps its lines, so that a test can wait for one. */
class CapturedLog {
  readonly lines: { level: number; msg: string }[] = []
  readonly logger: Logger
  private readonly events = new EventEmitter()

  constructor() {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        for (const text of chunk.toString('utf8').split('\n')) {
          if (text.length === 0) continue
          const line = JSON.parse(text) as { level: number; msg: string }
          this.lines.push(line)
          this.events.emit('line', line)
        }
        callback()
      },
    })
    this.logger = pino({ level: 'info' }, sink)
  }

  waitFor(pattern: RegExp, timeoutMs = 3000): Promise<string> {
    const found = this.lines.find((line) => pattern.test(line.msg))
    if (found !== undefined) return Promise.resolve(found.msg)
    return new Promise((resolve, reject) => {
      const onLine = (line: { msg: string }) => {
        if (!pattern.test(line.msg)) return
        clearTimeout(timer)
        this.events.off('line', onLine)
        resolve(line.msg)
      }
      const timer = setTimeout(() => {
        this.events.off('line', onLine)
        reject(new Error(`no log line ${pattern} within ${timeoutMs} ms: ${this.lines.map((l) => l.msg)}`))
      }, timeoutMs)
      this.events.on('line', onLine)
    })
  }
}

const systems: ActorSystem[] = []

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown()))
})

/** A node of the in-process network; `registry: true` hosts the registry, a node name joins it. */
async function node(
  network: InProcessNetwork,
  name: string,
  registry: ClusterOptions['registry'],
  log?: CapturedLog,
): Promise<ActorSystem> {
  const system = await start({
    node: `${name}@127.0.0.1:1`,
    network,
    registry,
    ...(log === undefined ? { logLevel: 'silent' as const } : { logger: log.logger }),
    heartbeatIntervalMs: 20,
    heartbeatTimeoutMs: 200,
    reconnectMinMs: 10,
    reconnectMaxMs: 100,
  })
  systems.push(system)
  return system
}

/** Node a hosts the registry; b and c join it. */
async function cluster(log?: { a?: CapturedLog; c?: CapturedLog }) {
  const net = new InProcessNetwork()
  const a = await node(net, 'a', true, log?.a)
  const b = await node(net, 'b', a.node)
  const c = await node(net, 'c', a.node, log?.c)
  return { net, a, b, c }
}

describe('the cluster registry, nodes in one process', () => {
  it('finds an actor named on one node from another', async () => {
    const { b, c } = await cluster()
    b.spawn(Counter, { name: 'other' }).tell({ type: 'inc', by: 5 })
    const other = await c.waitForActor<CounterMsg>('other', { timeout: 3000 })
    expect(other.address).toBe(`troupe://${b.node}/user/other`)
    expect(await other.ask({ type: 'get' })).toBe(5)
    const found = await c.findActor<CounterMsg>('other')
    expect(found?.equals(other)).toBe(true)
    expect(await c.findActor('nobody')).toBeUndefined()
  })

  it('the hosting node finds names of other nodes, and they find its names', async () => {
    const { a, b } = await cluster()
    a.spawn(Counter, { name: 'on-a' })
    b.spawn(Counter, { name: 'on-b' })
    expect((await a.waitForActor('on-b', { timeout: 3000 })).address).toBe(`troupe://${b.node}/user/on-b`)
    expect((await b.waitForActor('on-a', { timeout: 3000 })).address).toBe(`troupe://${a.node}/user/on-a`)
  })

  it('refuses a name taken on another node, and both sides log it', async () => {
    const logA = new CapturedLog()
    const logC = new CapturedLog()
    const { a, b, c } = await cluster({ a: logA, c: logC })
    const first = b.spawn(Counter, { name: 'dup' })
    await c.waitForActor('dup', { timeout: 3000 })
    c.spawn(Counter, { name: 'dup' })
    expect(await logC.waitFor(/refused the name 'dup'/)).toContain(`${first.address} holds it`)
    expect(await logA.waitFor(/refused the name 'dup'/)).toContain(`troupe://${c.node}/user/dup`)
    expect((await a.findActor('dup'))?.address).toBe(first.address)
    // c's actor loses the name on c too (it keeps running), so c finds the one owner as well
    expect(c.localActor('dup')).toBeUndefined()
    expect((await c.findActor('dup'))?.address).toBe(first.address)
  })

  it('removes the entry of an actor that stops', async () => {
    const { b, c } = await cluster()
    const temp = b.spawn(Counter, { name: 'temp' })
    await c.waitForActor('temp', { timeout: 3000 })
    await b.stop(temp)
    // b's find follows its own unregister to the registry: by then the entry is gone.
    expect(await b.findActor('temp')).toBeUndefined()
    expect(await c.findActor('temp')).toBeUndefined()
    // and the name is free for another node
    c.spawn(Counter, { name: 'temp' })
    expect((await b.waitForActor('temp', { timeout: 3000 })).address).toBe(`troupe://${c.node}/user/temp`)
  })

  it('removes the entries of a node that goes down', async () => {
    const { net, a, b, c } = await cluster()
    const gone = b.spawn(Counter, { name: 'gone' })
    b.spawn(Counter, { name: 'gone-too' })
    await c.waitForActor('gone', { timeout: 3000 })
    await c.waitForActor('gone-too', { timeout: 3000 })
    // a's own watch of b's actor, made before the registry's is told: both learn node-down together
    const down = a.watch(a.refOf(gone.address))
    net.partition(b.node)
    expect((await down).reason).toBe('node-down')
    expect(await c.findActor('gone')).toBeUndefined()
    expect(await c.findActor('gone-too')).toBeUndefined()
  })

  it('waitForActor resolves when the actor appears later on another node', async () => {
    const { b, c } = await cluster()
    const waiting = c.waitForActor<CounterMsg>('late', { timeout: 3000 })
    // c's wait reaches the registry before b registers: c's first ask to it is answered first
    expect(await c.findActor('late')).toBeUndefined()
    b.spawn(Counter, { name: 'late' }).tell({ type: 'inc', by: 2 })
    const late = await waiting
    expect(await late.ask({ type: 'get' })).toBe(2)
  })

  it('waitForActor rejects at its timeout with an error that names the actor', async () => {
    const { c } = await cluster()
    const t0 = performance.now()
    const error = await c.waitForActor('never', { timeout: 150 }).catch((e: unknown) => e)
    const elapsed = performance.now() - t0
    expect(error).toBeInstanceOf(ActorNotFoundError)
    expect(String(error)).toMatch(/'never'/)
    expect(elapsed).toBeGreaterThanOrEqual(140)
    expect(elapsed).toBeLessThan(1000)
  })

  it('lists the named actors of every node, by name', async () => {
    const { a, b, c } = await cluster()
    b.spawn(Counter, { name: 'beta' })
    c.spawn(Counter, { name: 'gamma' })
    await a.waitForActor('beta', { timeout: 3000 })
    await a.waitForActor('gamma', { timeout: 3000 })
    expect(await listActors(c)).toEqual([
      { name: 'beta', address: `troupe://${b.node}/user/beta`, node: b.node },
      { name: 'gamma', address: `troupe://${c.node}/user/gamma`, node: c.node },
      { name: 'registry', address: `troupe://${a.node}/user/registry`, node: a.node },
    ])
  })

  it('a node joins the registry again when the root node restarts, and registers its names again', async () => {
    const { net, a, b, c } = await cluster()
    b.spawn(Counter, { name: 'survivor' })
    await c.waitForActor('survivor', { timeout: 3000 })
    await a.shutdown()
    net.heal(a.node)
    const a2 = await node(net, 'a', true)
    expect((await a2.waitForActor('survivor', { timeout: 3000 })).address).toBe(
      `troupe://${b.node}/user/survivor`,
    )
    // c's finds go to the new registry too
    expect((await c.waitForActor('survivor', { timeout: 3000 })).address).toBe(
      `troupe://${b.node}/user/survivor`,
    )
  })

  it('a node given its own name as the registry hosts it', async () => {
    const net = new InProcessNetwork()
    const a = await node(net, 'a', 'a@127.0.0.1:1')
    const b = await node(net, 'b', a.node)
    b.spawn(Counter, { name: 'x' })
    expect((await a.waitForActor('x', { timeout: 3000 })).address).toBe(`troupe://${b.node}/user/x`)
  })
})

describe('start with a registry: options and failures', () => {
  it('without a node or registry the system stays local', async () => {
    const system = await start({ logLevel: 'silent' })
    systems.push(system)
    expect(system.node).toBe('local')
    system.spawn(Counter, { name: 'here' })
    expect(await system.findActor('here')).toBeDefined()
    expect(await listActors(system)).toEqual([
      { name: 'here', address: 'troupe://local/user/here', node: 'local' },
    ])
  })

  it('refuses a malformed registry, and a node that cannot be reached', async () => {
    const net = new InProcessNetwork()
    await expect(start({ node: 'a@127.0.0.1:1', network: net, registry: 'nowhere' })).rejects.toThrow(
      InvalidOptionError,
    )
    await expect(start({ registry: '127.0.0.1:1616' })).rejects.toThrow(/needs a name@host:port/)
    await expect(start({ node: 'a@127.0.0.1:1', network: net, registry: '127.0.0.1:1' })).rejects.toThrow(
      /name@host:port/,
    )
    const error = await start({
      node: 'b@127.0.0.1:1',
      network: net,
      registry: 'a@127.0.0.1:1',
      logLevel: 'silent',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryUnavailableError)
    expect(String(error)).toMatch(/a@127\.0\.0\.1:1/)
  })

  it('refuses to join a node that runs no registry', async () => {
    const net = new InProcessNetwork()
    await node(net, 'a', undefined)
    const error = await node(net, 'b', 'a@127.0.0.1:1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RegistryUnavailableError)
    expect(String(error)).toMatch(/runs no registry/)
  })

  it('the default registry port is 1616', () => {
    expect(DEFAULT_REGISTRY_PORT).toBe(1616)
  })
})
