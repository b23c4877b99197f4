// MajorDomo echo workers for bench/majordomo.ts, in a process of their own: argv[2] is the
// broker, argv[3] the service, argv[4] how many workers (default 1). Says "ready" on stdout once
// started; stops on SIGTERM.
import { startWorker } from '../src/flow/majordomo/index.ts'

const [broker, service] = [process.argv[2]!, process.argv[3]!]
const workers = Array.from({ length: Number(process.argv[4] ?? 1) }, () =>
  startWorker({ broker, service, handler: (body) => body }),
)
process.stdout.write('ready\n')
process.once('SIGTERM', () => void Promise.all(workers.map((w) => w.close())).then(() => process.exit(0)))
