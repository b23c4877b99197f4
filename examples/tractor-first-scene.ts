/**
 * tractor's first scene: donny and gretchen, each in a child process of its own, find each other
 * by name and call each other's `hi`. As with tractor's `run(main)`, nothing to configure: a plain
 * `start()` hosts the registry of the children it starts, over its links to them; they listen on
 * ports of their own and join it, and neither knows where the other runs.
 *
 * Run: npx tsx --conditions=source examples/tractor-first-scene.ts
 */
import { pathToFileURL } from 'node:url'
import { start } from 'troupe'
import { scene } from './tractor/first-scene.ts'

export async function main(): Promise<void> {
  const system = await start({ logLevel: 'warn' })
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
