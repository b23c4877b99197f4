/**
 * One dashboard figure on one subject, in a fresh process: forked by run.ts with a
 * `DashboardJob`, it answers with one report over IPC and exits. The node, its actors and its
 * load run here; `troupe` mounts the dashboard, and either measures while one viewer follows
 * the live stream (`dashboard-watched`) or after a viewer came and left (`dashboard-unwatched`);
 * `floor` measures the same node and load with no dashboard.
 */
import { type DashboardJob, type DashboardRun, messagesPerSecond } from './dashboard-figures.ts'
import { closeViewer, cpuOver, mountDashboard, openViewer, startLoadedNode } from './dashboard-load.ts'
import { runJob, timedRuns } from './job-runner.ts'

async function main(job: DashboardJob): Promise<DashboardRun[]> {
  const node = await startLoadedNode(job.params.actors ?? 10_000, messagesPerSecond)
  const dashboard = job.subject === 'troupe' ? await mountDashboard(node.system) : undefined
  try {
    return await timedRuns(job, async (params): Promise<DashboardRun> => {
      if (dashboard === undefined) return await cpuOver(params.count)
      const viewer = await openViewer(dashboard)
      if (job.workload === 'dashboard-unwatched') {
        await closeViewer(dashboard, viewer)
        return await cpuOver(params.count)
      }
      try {
        const measured = await cpuOver(params.count)
        return { ...measured, viewerBytes: viewer.bytes }
      } finally {
        await closeViewer(dashboard, viewer)
      }
    })
  } finally {
    await dashboard?.close()
    await node.stop()
  }
}

runJob('dashboard-job.ts', main)
