/**
 * The worker of `flow-majordomo.ts`, in a process of its own: a graph whose MajordomoWorker takes
 * the requests of `test_service` from the broker, a Transform that answers them, and back.
 * `mdp-worker.ts <broker endpoint>`; it prints `ready`, and stops on SIGTERM.
 */
import { start } from 'troupe'
import { director, MajordomoWorker, Transform } from 'troupe/flow'

const broker = process.argv[2]
if (broker === undefined) throw new Error('usage: mdp-worker.ts <broker endpoint>')
const system = await start({ logLevel: 'warn' })
const flow = director(system)
flow.add('worker', MajordomoWorker({ broker, service: 'test_service' }))
flow.add(
  'serve',
  Transform((request: { text?: string }) => ({ echo: request.text, by: `process ${process.pid}` })),
)
flow.connect('worker', 'serve').connect('serve', 'worker').connectError('serve', 'worker')
await flow.start()
process.stdout.write('ready\n')
process.once('SIGTERM', () => {
  void flow
    .stop()
    .then(() => system.shutdown())
    .then(() => process.exit(0))
})
