// A MajorDomo echo worker for bench/majordomo.ts, in a process of its own: argv[2] is the broker,
// argv[3] the service. Says "ready" on stdout once started; stops on SIGTERM.
import { startWorker } from '../src/flow/majordomo/index.ts'

const worker = startWorker({ broker: process.argv[2]!, service: process.argv[3]!, handler: (body) => body })
process.stdout.write('ready\n')
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)))
