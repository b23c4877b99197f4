/**
 * Automatic restarts, and what happens when an actor keeps crashing.
 *
 * restartlet's promise: an actor spawned on the system is restarted when it throws, with a
 * log line that says why. The message that crashed it is not redelivered (the asker gets
 * the error instead), so one poisonous message cannot crash it forever. Restart intensity
 * bounds the crashes: past `maxRestarts` within `withinMs` the actor is stopped, the
 * failure is logged, and the rest of the system keeps running.
 *
 * Run: npx tsx --conditions=source examples/auto-restart.ts
 */
import { pathToFileURL } from 'node:url'
import { defineActor, type InspectionEvent, start } from 'troupe'

type Job = { type: 'job'; id: number }

/** Every third job is corrupt and crashes the worker. */
const Flaky = defineActor<Job, { done: number }>({
  init: () => ({ done: 0 }),
  receive(state, job, ctx) {
    console.log(`  flaky: working on job ${job.id}`)
    if (job.id % 3 === 0) throw new Error(`job ${job.id} is corrupt`)
    const done = state.done + 1
    ctx.reply(`job ${job.id} done (${done} done since the last (re)start)`)
    return { done }
  },
})

/** A well-behaved neighbour, to show the system keeps running. */
const Steady = defineActor<'ping'>({
  receive(_state, _message, ctx) {
    ctx.reply('pong')
  },
})

function describe(event: InspectionEvent): string | undefined {
  switch (event.type) {
    case 'failed':
      return `failed: ${event.ref.path} threw "${(event.error as Error).message}", its supervisor decides: ${event.directive}`
    case 'restarted':
      return `restarted: ${event.ref.path} (restart #${event.restarts} in the window)`
    case 'intensity-exceeded':
      return `intensity-exceeded: more than ${event.restarts} restarts within ${event.withinMs} ms`
    case 'stopped':
      return event.reason === 'failed' ? `stopped: ${event.ref.path} for good (reason: failed)` : undefined
    default:
      return undefined
  }
}

export async function main(): Promise<void> {
  // These are the defaults, spelled out: at most 3 restarts within 5 s, then stop the actor.
  const system = await start({ logLevel: 'warn', supervision: { maxRestarts: 3, withinMs: 5_000 } })
  system.inspect((event) => {
    const line = describe(event)
    if (line !== undefined) console.log(`  [inspect] ${line}`)
  })

  const flaky = system.spawn(Flaky, { name: 'flaky' })
  const steady = system.spawn(Steady, { name: 'steady' })

  for (let id = 1; id <= 12; id++) {
    try {
      console.log(`job ${id}: ${await flaky.ask<string>({ type: 'job', id })}`)
    } catch (error) {
      console.log(`job ${id}: the asker gets the error: ${(error as Error).message}`)
    }
  }

  const end = await system.watch(flaky)
  console.log(`flaky is stopped (reason: ${end.reason}, alive: ${system.isAlive(flaky)})`)
  try {
    await flaky.ask({ type: 'job', id: 13 })
  } catch (error) {
    console.log(`job 13: ${(error as Error).name}: nobody is there any more`)
  }
  console.log(`the system keeps running: steady answers ${await steady.ask('ping')}`)
  await system.shutdown()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
