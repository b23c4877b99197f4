// An actor and a function in TypeScript that the TypeScript program runs in child nodes: tsx
// loads this module there too, and its `troupe` is the package's compiled one.
import { threadId } from 'node:worker_threads'
import { currentActor, defineActor, expose } from 'troupe'

type Place = `${string} in process ${number}, thread ${number}`

/** Where the function runs: its actor's name, the process and the thread. */
function where(): Place {
  return `${currentActor()?.name ?? 'an actor'} in process ${process.pid}, thread ${threadId}`
}

export const places = expose(import.meta.url, { where })

/** Answers a name with a greeting that says where it runs. */
export const Greeter = defineActor<string>({
  receive(_state, name: string, ctx) {
    ctx.reply(`hello ${name} from ${where()}`)
  },
})
