/**
 * The node program of the NATS cluster figures, as small as a member gets: `node nats-member.mjs
 * <MemberSpec as JSON>` starts a node on NATS (a member of its cluster: names, heartbeats), holds
 * an actor under the spec's name if it has one, tells its parent `ready` over IPC once the name is
 * claimed, and lives until it is killed or its parent goes away. Plain JavaScript, so that thirty
 * of them start quickly on two cores; it loads Troupe from dist/, or from the sources when forked
 * with tsx and `--conditions=source`.
 */
import { defineActor, start } from 'troupe'

const spec = JSON.parse(process.argv[2] ?? 'null')
if (spec === null) throw new Error('usage: nats-member.mjs <spec as JSON>')
process.on('disconnect', () => process.exit(0))

const system = await start({
  node: spec.node,
  nats: { servers: spec.url, prefix: spec.prefix },
  cookie: spec.cookie,
  heartbeatIntervalMs: spec.heartbeatIntervalMs,
  heartbeatTimeoutMs: spec.heartbeatTimeoutMs,
  logLevel: 'silent',
})
if (spec.name !== undefined) {
  const Holder = defineActor({
    receive(state, _msg, ctx) {
      ctx.reply(spec.node)
      return state
    },
  })
  system.spawn(Holder, { name: spec.name })
  await system.waitForActor(spec.name, { timeout: 10_000 })
}
process.send?.('ready')
