// A TypeScript program of an application that installed Troupe from its package, run with the
// project's tsx: an actor of a TypeScript module runs in a child process, and a function of one
// in a worker thread.
import { start } from 'troupe'
import { Greeter, places } from './places.ts'

const system = await start({ logLevel: 'warn' })
try {
  const modules = [new URL('./places.ts', import.meta.url).href]
  const greeter = system.spawn(Greeter, { name: 'greeter', in: 'process', modules })
  console.log(await greeter.ask('tsx', { timeout: 20_000 }))
  await system.nursery(async (n) => {
    const inThread = n.runInActor('in-thread', places.where, [], { in: 'thread' })
    console.log(await inThread.result())
  })
  console.log(`parent ${process.pid}`)
} finally {
  await system.shutdown()
}
