import { type ActorSystem, defineActor, type Portal, start } from 'troupe'
import { afterEach, describe, expect, it } from 'vitest'
import { remoteNodeOf } from '../../../src/remote/node/remote-node-of.ts'
import type { NatsTransport } from '../../../src/transport/nats/index.ts'
import { natsServerVersion, startNatsCluster } from '../../support/nats-server.ts'
import { CapturedLog, within } from '../transport/support.ts'

// Two nodes of this process on a 3-server NATS cluster; the server one of them is connected to is
// killed (a crash) while tells and asks flow between them, and later started again.
const COOKIE = 'nats-bounce-test-cookie-01234567'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

type CounterMsg = { type: 'inc' } | { type: 'get' }
const Counter = defineActor<CounterMsg, number>({
  init: () => 0,
  receive(n, msg, ctx) {
    if (msg.type === 'get') ctx.reply(n)
    return msg.type === 'inc' ? n + 1 : n
  },
})

async function node(
  name: string,
  servers: readonly string[],
): Promise<{ system: ActorSystem; log: CapturedLog }> {
  const log = new CapturedLog()
  const system = await start({
    node: name,
    cookie: COOKIE,
    nats: { servers, prefix: 'bounce', replicas: 3, pingIntervalMs: 500 },
    logger: log.logger,
  })
  cleanups.push(() => system.shutdown())
  return { system, log }
}

/** The port of the server the node's transport is connected to now (the client says `host:port`). */
function serverOf(system: ActorSystem): number {
  const server = (remoteNodeOf(system)!.transport as NatsTransport).client.getServer()
  return Number(server.slice(server.lastIndexOf(':') + 1))
}

/** One ask of the stream: when it began and ended, and how it ended. */
interface Outcome {
  readonly began: number
  readonly ended: number
  readonly error?: Error
}

/**
 * Traffic to `target` until stopped: 10 tells every 2 ms, so that frames are always in flight,
 * and one ask after another (each within 1 s), every one's outcome kept.
 */
function traffic(target: Portal<CounterMsg>): { told(): number; outcomes: Outcome[]; stop(): Promise<void> } {
  const outcomes: Outcome[] = []
  let told = 0
  let running = true
  const telling = setInterval(() => {
    for (let i = 0; i < 10; i++) target.tell({ type: 'inc' })
    told += 10
  }, 2)
  const asking = (async () => {
    while (running) {
      const began = Date.now()
      try {
        await target.ask<number>({ type: 'get' }, { timeout: 1000 })
        outcomes.push({ began, ended: Date.now() })
      } catch (error) {
        outcomes.push({ began, ended: Date.now(), error: error as Error })
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()
  return {
    told: () => told,
    outcomes,
    async stop() {
      running = false
      clearInterval(telling)
      await asking
    },
  }
}

/** Resolves once `check` holds (polled every 10 ms); rejects after `ms` with `what`. */
function until(what: string, check: () => boolean, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  return within(
    new Promise<void>((resolve) => {
      timer = setInterval(() => check() && resolve(), 10)
    }),
    ms,
    what,
  ).finally(() => clearInterval(timer))
}

describe.skipIf(natsServerVersion() === undefined)('a NATS server bounce under traffic', () => {
  it('is reported, the nodes carry on through another server, and names and members stay', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    cleanups.push(async () => void process.off('unhandledRejection', onUnhandled))
    const cluster = await startNatsCluster(3)
    cleanups.push(() => cluster.stop())
    const [s1, s2, s3] = cluster.urls as [string, string, string]
    // The client shuffles its list, so b is given only servers that a is not on.
    const a = await node('a', [s1, s2, s3])
    const aServer = serverOf(a.system)
    const b = await node(
      'b',
      cluster.servers.filter((server) => server.port !== aServer).map((server) => server.url),
    )
    expect(serverOf(b.system)).not.toBe(aServer)
    const victim = cluster.servers.find((server) => server.port === aServer)!

    const counter = a.system.spawn(Counter, { name: 'svc' })
    const svc = await b.system.waitForActor<CounterMsg>('svc', { timeout: 10_000 })
    const flow = traffic(svc)
    cleanups.push(() => flow.stop())
    await until('the first asks', () => flow.outcomes.length >= 10, 5000)
    expect(flow.outcomes.filter((outcome) => outcome.error !== undefined)).toEqual([])

    const killedAt = Date.now()
    await victim.kill()
    // Asks succeed again within 5 s of the kill: a's client moved to another server of the cluster.
    await until(
      'asks succeeding again after the kill',
      () => flow.outcomes.some((o) => o.began > killedAt && o.error === undefined),
      5000,
    )
    const recoveredAt = flow.outcomes.find((o) => o.began > killedAt && o.error === undefined)!.ended
    expect(serverOf(a.system)).not.toBe(victim.port)
    const failed = flow.outcomes.filter((o) => o.error !== undefined)
    console.log(
      `bounce: asks ok again ${recoveredAt - killedAt} ms after the kill; failed asks:`,
      failed.map(
        (o) => `+${o.began - killedAt} ms ${o.error!.name} in ${o.ended - o.began} ms: ${o.error!.message}`,
      ),
      '\nwarnings of a:',
      a.log.warnings(),
      '\nwarnings of b:',
      b.log.warnings(),
    )
    // What was in flight through the dead server is lost, and said so: the receiving side finds the
    // gap at the next frame and closes the connection with a FramesLostError; the asks caught in it
    // fail with a named error (the one whose request or reply was lost waits out its timeout), and
    // the next connection carries on.
    const framesLost = /\d+ frames? from the peer (was|were) lost/
    expect([...a.log.warnings(), ...b.log.warnings()].some((line) => framesLost.test(line))).toBe(true)
    for (const { error, began } of failed) {
      expect(['AskTimeoutError', 'NodeDownError', 'ConnectionLostError']).toContain(error!.name)
      expect(began).toBeGreaterThanOrEqual(killedAt - 1000)
    }
    expect(a.log.warnings()).toContain(`disconnected from NATS server 127.0.0.1:${victim.port}`)

    // The server comes back and rejoins its routes; traffic runs on without a failure.
    await victim.restart()
    await victim.waitFor((log) => (log.match(/Route connection created/g)?.length ?? 0) >= 4, 10_000)
    const afterRestart = flow.outcomes.length
    await until('asks after the restart', () => flow.outcomes.length >= afterRestart + 50, 10_000)
    await flow.stop()
    expect(flow.outcomes.slice(afterRestart).filter((o) => o.error !== undefined)).toEqual([])

    // Names and members are intact, and a name claimed now reaches the other node.
    expect((await b.system.findActor('svc'))?.address).toBe(counter.address)
    expect((await a.system.findActor('svc'))?.address).toBe(counter.address)
    for (const { system } of [a, b])
      expect(
        system
          .members()
          .map((m) => m.node)
          .sort(),
      ).toEqual(['a', 'b'])
    const later = b.system.spawn(Counter, { name: 'later' })
    expect((await a.system.waitForActor('later', { timeout: 10_000 })).address).toBe(later.address)
    // Frames were lost (the tells count says how many); nothing else broke.
    const count = await svc.ask<number>({ type: 'get' }, { timeout: 1000 })
    console.log(`bounce: ${flow.told()} tells sent, ${count} arrived`)
    expect(count).toBeLessThan(flow.told())
    expect(unhandled).toEqual([])
  }, 60_000)
})
