// An application that installed Troupe from its package, run with plain node: its actor runs in
// a child process, a pool of child processes hands out one that loads a TypeScript module, and
// the testkit's entry resolves too.
import { createChildPool, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { Greeter } from './greeter.mjs'

const system = await start({ logLevel: 'warn' })
try {
  const modules = [new URL('./greeter.mjs', import.meta.url).href]
  const greeter = system.spawn(Greeter, { name: 'greeter', in: 'process', modules })
  console.log(await greeter.ask('npm', { timeout: 20_000 }))
  console.log(`parent ${process.pid}`)
  console.log(`free port: ${typeof (await freePort())}`)
  const pool = createChildPool(system, { in: 'process', size: 1 })
  try {
    const child = await pool.take({ modules: [new URL('./greeter.ts', import.meta.url)] })
    console.log(`pooled child loaded greeter.ts: ${child.in}`)
    await child.stop()
  } finally {
    await pool.close()
  }
} finally {
  await system.shutdown()
}
