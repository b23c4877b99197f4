import { workerData } from 'node:worker_threads'
import { linkTransport } from '../link-transport.ts'
import type { ChildTransport, LinkedChild } from '../transport.ts'
import { connectParent } from './connect-parent.ts'
import { spawnThread } from './spawn-thread.ts'
import { terminateThread } from './terminate-thread.ts'

/** What a thread child gets as its data: its boot, the data for its modules, and the cookie. */
interface ThreadChildData {
  readonly boot: unknown
  readonly data: unknown
  readonly cookie: string | undefined
}

/**
 * Child nodes in worker threads: the boot, the data and the cookie travel in `workerData`
 * (structured clone, never on a command line), and the link is the thread's `MessagePort`.
 */
export const threadChildren: ChildTransport = {
  name: 'thread',
  async spawn({ boot, data, cookie, graceMs, logger, ...common }): Promise<LinkedChild> {
    const childData: ThreadChildData = { boot, data, cookie }
    const { worker, connection } = await spawnThread({ ...common, data: childData, logger })
    return {
      link: linkTransport('thread', connection),
      handle: worker,
      id: worker.threadId,
      exited: new Promise((resolve) => worker.once('exit', (code) => resolve({ code, signal: null }))),
      stop: async () => {
        await terminateThread(worker, graceMs)
      },
      terminate: async () => {
        await worker.terminate()
      },
    }
  },
  parent: {
    boot() {
      const { boot, cookie } = (workerData as { data: ThreadChildData }).data
      return { boot, cookie }
    },
    async connect() {
      const { connection, data } = await connectParent()
      return { link: linkTransport('thread', connection), data: (data as ThreadChildData).data }
    },
  },
}
