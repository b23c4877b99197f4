/**
 * A supervised actor in a child process: it crashes on a bad job and is restarted in a new
 * process; its process is killed with SIGKILL and it is restarted again. The ref the program
 * holds stays the same throughout, and the system's supervision (restart, at most 3 in 5 s)
 * applies as to a local actor. One file, no guard: the child process loads this module up to its
 * `start()`, where a child stops, and finds the definition by the name `expose` gives it.
 *
 * Run: npx tsx --conditions=source examples/supervised-process.ts
 */
import { type ActorSystem, defineActor, expose, type InspectionEvent, start } from 'troupe'

type JobMsg = { type: 'square'; n: number } | { type: 'pid' }

/** Squares numbers, counting the jobs done since it (re)started; a negative number crashes it. */
const Squarer = defineActor<JobMsg, number>({
  init: () => 0,
  receive(done, msg, ctx) {
    if (msg.type === 'pid') {
      ctx.reply(process.pid)
      return done
    }
    if (msg.n < 0) throw new RangeError(`cannot square ${msg.n}`)
    ctx.reply(`${msg.n} squared is ${msg.n ** 2} (job #${done + 1} in process ${process.pid})`)
    return done + 1
  },
})

// Before start(): a child process finds the definition here, under this name.
expose(import.meta.url, { Squarer })

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** Resolves with the next inspection event of `type` about the actor named `name`. */
function next(system: ActorSystem, type: 'failed' | 'restarted', name: string): Promise<InspectionEvent> {
  return new Promise((resolve) => {
    const stop = system.inspect((event) => {
      if (event.type === type && event.ref.name === name) {
        stop()
        resolve(event)
      }
    })
  })
}

const system = await start({ logLevel: 'warn' })
system.inspect((event) => {
  if (event.type === 'failed')
    console.log(`[inspect] ${event.ref.path} failed (${describe(event.error)}): ${event.directive}`)
  if (event.type === 'restarted') console.log(`[inspect] ${event.ref.path} restarted in a new process`)
})
const squarer = system.spawn(Squarer, { name: 'squarer', in: 'process' })
const ask = (msg: JobMsg) => squarer.ask<string>(msg, { timeout: 20_000 })
console.log(`this program is process ${process.pid}; the squarer is ${squarer.address}`)
console.log(await ask({ type: 'square', n: 3 }))
console.log(await ask({ type: 'square', n: 4 }))

let restarted = next(system, 'restarted', 'squarer')
try {
  await ask({ type: 'square', n: -1 })
} catch (error) {
  console.log(`square -1: the asker gets the error: ${describe(error)}`)
}
// Messages sent from the restart on wait for the new process; wait for it to tell them apart.
await restarted
console.log(await ask({ type: 'square', n: 5 }))

const pid = Number(await ask({ type: 'pid' }))
restarted = next(system, 'restarted', 'squarer')
console.log(`killing the squarer's process ${pid} with SIGKILL`)
process.kill(pid, 'SIGKILL')
await restarted
console.log(await ask({ type: 'square', n: 6 }))
console.log(`same ref, same name: ${system.localActor('squarer') === squarer}`)

const last = Number(await ask({ type: 'pid' }))
await system.shutdown()
let gone = true
try {
  process.kill(last, 0)
  gone = false
} catch {}
console.log(`after shutdown, the squarer's process ${last} is gone: ${gone}`)
