/**
 * What the dashboard's measurements share: a node with `actors` actors (parents of 99 children
 * each, as a real tree), a steady load of messages to them in turn, the dashboard mounted on
 * fastify, a viewer that follows the live stream and only counts what it gets (a raw HTTP
 * client, so that its own cost is nearly nil), and the process's CPU over a span.
 */
import { get } from 'node:http'
import fastify from 'fastify'
import { type ActorSystem, defineActor, type Ref, start } from 'troupe'
import { type DashboardPlugin, dashboardPlugin } from 'troupe/gateway'

const PER_PARENT = 100

const Leaf = defineActor<number, number>({ init: () => 0, receive: (n, m) => n + m })
const Parent = defineActor<number>({
  started: (_, ctx) => {
    for (let i = 0; i < PER_PARENT - 1; i++) ctx.spawn(Leaf)
  },
  // Its children are spawned in `started`, which runs before any message: an answer says they are.
  receive: (_, _message, ctx) => ctx.reply(true),
})

export interface LoadedNode {
  system: ActorSystem
  actors: number
  stop(): Promise<void>
}

/** A node with `actors` actors, and `perSecond` messages a second sent to them in turn (every 10 ms). */
export async function startLoadedNode(actors: number, perSecond: number): Promise<LoadedNode> {
  const system = await start({ logLevel: 'silent', messages: 'none' })
  const parents: Ref<number>[] = []
  for (let i = 0; i < Math.ceil(actors / PER_PARENT); i++) parents.push(system.spawn(Parent))
  await Promise.all(parents.map((parent) => parent.ask(0)))
  const all = [...parents, ...(parents.flatMap((p) => system.childrenOf(p)) as Ref<number>[])]
  let next = 0
  const perTick = Math.max(1, Math.round(perSecond / 100))
  const load = setInterval(() => {
    for (let i = 0; i < perTick; i++) all[next++ % all.length]!.tell(1)
  }, 10)
  return {
    system,
    actors: all.length,
    async stop() {
      clearInterval(load)
      await system.shutdown()
    },
  }
}

export interface MountedDashboard {
  url: string
  plugin: DashboardPlugin
  close(): Promise<void>
}

export async function mountDashboard(system: ActorSystem): Promise<MountedDashboard> {
  const app = fastify({ forceCloseConnections: true })
  const plugin = dashboardPlugin(system)
  await app.register(plugin)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, plugin, close: () => app.close() }
}

/**
 * Resolves once `check()` holds, looking every 10 ms (the plugin's viewer count has no event);
 * rejects after `ms`. Plain timers, not `failAfter`: its cancel scope would switch on async context
 * tracking for the rest of the process, a cost of the harness the figure would charge to the
 * dashboard.
 */
export async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`the dashboard did not get there within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export interface Viewer {
  bytes: number
  deltas: number
  close(): void
}

/** A viewer of the live stream, once the plugin inspects the system for it. */
export async function openViewer(dashboard: MountedDashboard): Promise<Viewer> {
  const viewer: Viewer = { bytes: 0, deltas: 0, close: () => request.destroy() }
  const request = get(`${dashboard.url}/dashboard/api/events`, (response) => {
    response.on('data', (chunk: Buffer) => {
      viewer.bytes += chunk.length
      viewer.deltas += chunk.toString('latin1').split('event: delta').length - 1
    })
  })
  request.on('error', () => {})
  await until(() => dashboard.plugin.inspecting)
  return viewer
}

/** Closes the viewer, once the plugin has stopped inspecting for it. */
export async function closeViewer(dashboard: MountedDashboard, viewer: Viewer): Promise<void> {
  viewer.close()
  await until(() => !dashboard.plugin.inspecting)
}

/** The process's CPU (user and system) over the next `ms`, in percent of one core. */
export async function cpuOver(ms: number): Promise<{ ms: number; cpuPercent: number }> {
  const from = process.cpuUsage()
  const started = performance.now()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const used = process.cpuUsage(from)
  const elapsed = performance.now() - started
  return { ms: elapsed, cpuPercent: ((used.user + used.system) / 1000 / elapsed) * 100 }
}
