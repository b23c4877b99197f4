// The functions donny and gretchen run, for examples/tractor-first-scene.ts: each waits for the
// other to appear in the cluster registry, then has the other say its line.
import { currentActor, expose, waitForActor } from 'troupe'

const theLine = 'Hi my name is {}'

/** Run as the actor a portal stands for: says its own name. */
async function hi(): Promise<string> {
  return theLine.replace('{}', currentActor()?.name ?? 'nobody')
}

/** Finds `otherActor` wherever it runs in the cluster and has it say hi. */
async function sayHello(otherActor: string): Promise<string> {
  const portal = await waitForActor(otherActor, { timeout: 10_000 })
  return await portal.run(scene.hi)
}

export const scene = expose(import.meta.url, { hi, sayHello })
