// An actor of an application that installed Troupe from its package, in plain JavaScript.
import { defineActor } from 'troupe'

/** Answers a name with a greeting that says where it runs, and whether tsx is loaded there. */
export const Greeter = defineActor({
  receive(_state, name, ctx) {
    const tsx = process.execArgv.join(' ').includes('tsx')
    ctx.reply(`hello ${name} from process ${process.pid} (tsx: ${tsx})`)
  },
})
