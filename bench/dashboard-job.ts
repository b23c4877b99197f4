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
  // One viewer for all the runs, as a browser left open on the page: it came before the warm-up
  // (and, for the unwatched figure, went again), so that no run pays for its arrival.
  const viewer = dashboard === undefined ? undefined : await openViewer(dashboard)
  if (dashboard !== undefined && viewer !== undefined && job.workload === 'dashboard-unwatched')
    await closeViewer(dashboard, viewer)
  try {
    return await timedRuns(job, async (params): Promise<DashboardRun> => {
      const measured = await cpuOver(params.count)
      return job.workload === 'dashboard-watched' && viewer !== undefined
        ? { ...measured, viewerBytes: viewer.bytes }
        : measured
    })
  } finally {
    if (dashboard !== undefined && viewer !== undefined && dashboard.plugin.inspecting)
      await closeViewer(dashboard, viewer)
    await dashboard?.close()
    await node.stop()
  }
}

runJob('dashboard-job.ts', main)
