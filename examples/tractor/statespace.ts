// What the child of examples/tractor-statespace.ts runs: it loads this module, which exposes
// the function there too, and reads the initial state its parent gave with childData().
import { childData, currentActor, expose } from 'troupe'

/** The statespace: what the parent hands its child when it starts it. */
export interface Statespace {
  doggy: number
  kitty: string
}

/** Reads the child's initial state, as the actor the portal runs it in. */
function readStatespace(): { actor: string | undefined; pid: number; state: Statespace } {
  return { actor: currentActor()?.name, pid: process.pid, state: childData() as Statespace }
}

export const statespace = expose(import.meta.url, { readStatespace })
