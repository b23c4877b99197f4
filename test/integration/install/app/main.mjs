// An application that installed Troupe from its package, run with plain node: its actor runs in
// a child process, and the testkit's entry resolves too.
import { start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { Greeter } from './greeter.mjs'

const system = await start({ logLevel: 'warn' })
try {
  const modules = [new URL('./greeter.mjs', import.meta.url).href]
  const greeter = system.spawn(Greeter, { name: 'greeter', in: 'process', modules })
  console.log(await greeter.ask('npm', { timeout: 20_000 }))
  console.log(`parent ${process.pid}`)
  console.log(`free port: ${typeof (await freePort())}`)
} finally {
  await system.shutdown()
}
