/**
 * A tour of Troupe: runs the other examples one after another, each under a heading that
 * says which feature it shows, then a short look at structured concurrency.
 *
 * Run: npx tsx --conditions=source examples/tour.ts
 */
import { pathToFileURL } from 'node:url'
import { moveOnAfter, type Ref, sleep, start } from 'troupe'
import { main as autoRestart } from './auto-restart.ts'
import { main as nodes } from './nodes.ts'
import { main as pingPong } from './ping-pong.ts'
import { main as spinoffExample1 } from './spinoff-example1.ts'
import { main as supervisionTree } from './supervision-tree.ts'
import { main as tractorFirstScene } from './tractor-first-scene.ts'
import { main as tractorFrank } from './tractor-frank.ts'
import { main as tractorRemoteError } from './tractor-remote-error.ts'
import { main as tractorStreamForever } from './tractor-stream-forever.ts'

function heading(title: string, ...lines: string[]): void {
  console.log(`\n=== ${title} ===`)
  for (const line of lines) console.log(`    ${line}`)
  console.log()
}

/** Pretends to ask a supplier for a price; the ambient cancel scope can cut it short. */
async function quote(item: string, ms: number, price: number): Promise<string> {
  try {
    await sleep(ms) // the ambient cancel scope is the actor's: stopping the actor cancels the sleep
  } catch (error) {
    console.log(`  ${item} supplier: cancelled (${(error as Error).name}) after waiting too long`)
    throw error
  }
  return `${item}: ${price} cents`
}

/** Structured concurrency: actors started in a nursery end before the nursery returns. */
async function structuredConcurrency(): Promise<void> {
  const system = await start({ logLevel: 'warn' })

  const prices = await system.nursery(async (n) => {
    const apples = n.runInActor('apples', quote, ['apples', 20, 120])
    const pears = n.runInActor('pears', quote, ['pears', 10, 95])
    console.log(`two actors run side by side: ${apples.ref.path} and ${pears.ref.path}`)
    return Promise.all([apples.result(), pears.result()])
  })
  console.log(`the nursery returned once both had finished: ${prices.join(', ')}`)

  let durian: Ref | undefined
  const late = await moveOnAfter(50, () =>
    system.nursery(async (n) => {
      const supplier = n.runInActor('durian', quote, ['durian', 60_000, 900])
      durian = supplier.ref
      return supplier.result()
    }),
  )
  console.log(
    late === undefined
      ? 'moveOnAfter(50 ms): the durian supplier was too slow; its actor was cancelled and we moved on'
      : `unexpected: ${late}`,
  )
  console.log(`is the durian actor still alive? ${durian !== undefined && system.isAlive(durian)}`)
  await system.shutdown()
}

export async function main(): Promise<void> {
  console.log('A tour of Troupe: actors for TypeScript on Node.js')

  heading(
    '1. Parent and child (spinoff example1)',
    'A parent spawns a child and they exchange messages. The child crashes on one message;',
    'its parent supervises it and restarts it: fresh state, mailbox kept, the exchange goes on.',
    'Watch for the "restarted after failure" log line.',
  )
  await spinoffExample1()

  heading(
    '2. Ping-pong with selective receive (python-actors)',
    'Process-style actors are async functions that call self.receive(match, { timeout }).',
    'A message that does not match waits in the mailbox, in order; silence ends in ReceiveTimeoutError.',
  )
  await pingPong()

  heading(
    '3. Automatic restarts and restart intensity (restartlet)',
    'An actor that crashes is restarted with a log line saying why; the crashing message is not',
    'redelivered. Past 3 restarts in 5 s it is stopped, and the rest of the system runs on.',
  )
  await autoRestart()

  heading(
    '4. A supervision tree, one-for-all (Erlang/OTP)',
    'supervisor({ strategy: "one-for-all", children }) restarts all its children when one fails.',
  )
  await supervisionTree()

  heading(
    '5. Structured concurrency (trio, tractor)',
    'system.nursery runs actors as a scope: runInActor actors end when their function returns,',
    'and none outlives the nursery. moveOnAfter cancels a block at a deadline and moves on.',
  )
  await structuredConcurrency()

  heading(
    '6. Nodes: over TCP, in a child process, in a worker thread (Erlang distribution, tractor)',
    'A ref to an actor of another node is used like a local one; spawn(def, { on }) starts one',
    "there, and when a node goes away its actors' watchers get Terminated with reason node-down.",
  )
  await nodes()

  heading(
    "7. tractor's examples: functions in actors in threads and processes",
    'expose(import.meta.url, { fn }) names what children may run; a nursery starts them with',
    'runInActor and startActor; portals run and stream; errors come back as RemoteActorError.',
    'Children of a cluster node join its registry: donny and gretchen find each other.',
  )
  await tractorFirstScene()
  await tractorFrank()
  await tractorStreamForever()
  await tractorRemoteError()

  console.log('\nEnd of the tour.')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
