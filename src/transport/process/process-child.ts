import { linkTransport } from '../link-transport.ts'
import type { ChildExit, ChildTransport, LinkedChild } from '../transport.ts'
import { connectParent } from './connect-parent.ts'
import { spawnProcess, terminateProcess } from './spawn-process.ts'

/**
 * Child nodes in child processes: the boot goes as the first argument (JSON), the cookie in the
 * environment (readable by the same user only, never in the arguments), the data over the IPC
 * channel, and the link is the process's IPC channel with its frame pipe.
 */
export const processChildren: ChildTransport = {
  name: 'process',
  async spawn({ boot, data, cookie, graceMs, logger, ...common }): Promise<LinkedChild> {
    const { child, connection } = await spawnProcess({
      ...common,
      args: [JSON.stringify(boot)],
      data,
      ...(cookie === undefined ? {} : { env: { ...process.env, TROUPE_COOKIE: cookie } }),
      logger,
    })
    const exited: Promise<ChildExit> =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
        : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    const stop = async () => {
      connection.close()
      let timer: NodeJS.Timeout | undefined
      const grace = new Promise<'grace'>((resolve) => {
        timer = setTimeout(() => resolve('grace'), graceMs)
      })
      try {
        if ((await Promise.race([exited, grace])) === 'grace') await terminateProcess(child, graceMs)
        await exited
      } finally {
        clearTimeout(timer)
      }
    }
    const terminate = async () => {
      await terminateProcess(child, graceMs)
      await exited
    }
    return {
      link: linkTransport('process', connection),
      handle: child,
      id: child.pid ?? -1,
      exited,
      stop,
      terminate,
    }
  },
  parent: {
    boot() {
      return { boot: JSON.parse(process.argv[2] ?? '{}') as unknown, cookie: process.env.TROUPE_COOKIE }
    },
    async connect(node) {
      const { connection, data } = await connectParent({ node })
      return { link: linkTransport('process', connection), data }
    },
  },
}
