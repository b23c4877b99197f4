/**
 * tractor's first scene: donny and gretchen, each in a child process of its own, find each other
 * through the cluster registry (hosted by this root node) and call each other's `hi`. The children
 * listen on ports of their own and join the registry; neither knows where the other runs.
 *
 * Run: npx tsx --conditions=source examples/tractor-first-scene.ts
 */
import { pathToFileURL } from 'node:url'
import { start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { readableLogger } from './support/readable-log.ts'
import { scene } from './tractor/first-scene.ts'

export async function main(): Promise<void> {
  const system = await start({
    node: `root@127.0.0.1:${await freePort()}`,
    registry: true,
    logger: readableLogger('warn'),
  })
  try {
    await system.nursery(async (n) => {
      console.log('Alright... Action!')
      const donny = n.runInActor('donny', scene.sayHello, ['gretchen'], { in: 'process' })
      const gretchen = n.runInActor('gretchen', scene.sayHello, ['donny'], { in: 'process' })
      console.log(await gretchen.result())
      console.log(await donny.result())
      console.log("CUTTTT CUUTT CUT!!?! Donny!! You're supposed to say...")
    })
  } finally {
    await system.shutdown()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
