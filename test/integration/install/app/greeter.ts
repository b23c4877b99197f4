// An actor in TypeScript, for `troupe run` of an installed copy: tsx loads it, and its `troupe`
// is the package's compiled one.
import { defineActor } from 'troupe'

/** Answers a name with a greeting. */
export const Greeter = defineActor<string>({
  receive(_state, name, ctx) {
    ctx.reply(`hello ${name}, from a TypeScript module`)
  },
})
