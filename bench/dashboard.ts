/**
 * What the dashboard costs, by hand: the process's CPU over the same seconds with 10,000 actors
 * and a light load of messages, with no viewer, with one SSE viewer reading the live stream, and
 * with no viewer again after it left, printed as percent of one core. `npm run bench` measures
 * the same as its `dashboard-watched` and `dashboard-unwatched` figures, against the node with no
 * dashboard at all.
 *
 *   npx tsx --conditions=source bench/dashboard.ts [--seconds 5] [--actors 10000]
 */
import { parseArgs } from 'node:util'
import { messagesPerSecond } from './dashboard-figures.ts'
import { closeViewer, cpuOver, mountDashboard, openViewer, startLoadedNode } from './dashboard-load.ts'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, actors: { type: 'string', default: '10000' } },
})
const ms = Number(values.seconds) * 1000
const node = await startLoadedNode(Number(values.actors), messagesPerSecond)
const dashboard = await mountDashboard(node.system)

const print = (label: string, cpuPercent: number) =>
  console.log(
    `${label}: ${cpuPercent.toFixed(2)}% of a core (${node.actors} actors, ${ms / 1000} s, inspecting: ${dashboard.plugin.inspecting})`,
  )

const idle = (await cpuOver(ms)).cpuPercent
print('no viewer', idle)
const viewer = await openViewer(dashboard)
const watched = (await cpuOver(ms)).cpuPercent
print('one SSE viewer', watched)
console.log(`  the viewer got ${viewer.deltas} deltas, ${(viewer.bytes / 1024).toFixed(0)} KiB`)
await closeViewer(dashboard, viewer)
const after = (await cpuOver(ms)).cpuPercent
print('no viewer again', after)
console.log(
  `the dashboard's cost while watched: ${(watched - idle).toFixed(2)}% of a core; after the viewer left: ${(after - idle).toFixed(2)}%`,
)
await dashboard.close()
await node.stop()
