/**
 * The process transport: a parent and the child processes it forks, connected by the IPC channel
 * of `child_process` (`serialization: 'advanced'`) for the hellos and the close, and a socket pair
 * beside it for the frames, with the same `Connection` as every other transport. The parent calls {@link spawnProcess}, the child {@link connectParent}.
 *
 * @packageDocumentation
 */
export type { ConnectParentOptions, ParentLink } from './connect-parent.ts'
export { connectParent } from './connect-parent.ts'
export {
  endChildProcesses,
  followChildProcessesOfThreads,
  killChildProcessesOfThread,
} from './live-children.ts'
export type { Ancestor, ParentWatch, ParentWatchOptions } from './parent-watch.ts'
export { currentParentWatch, watchAncestors, watchParent } from './parent-watch.ts'
export { processChildren } from './process-child.ts'
export { ProcessExitError } from './process-exit-error.ts'
export type { SpawnedProcess, SpawnProcessOptions } from './spawn-process.ts'
export { spawnProcess, terminateProcess } from './spawn-process.ts'
