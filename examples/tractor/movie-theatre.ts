// The function frank runs in his own actor, for examples/tractor-frank.ts. The child node frank
// lives on loads this module, which exposes the function there too.
import { currentActor, expose } from 'troupe'

/** tractor's movie_theatre_question. */
async function movieTheatreQuestion(): Promise<string> {
  return `${currentActor()?.name ?? 'someone'}: in your head, is Donnie Darko coming back?`
}

export const lines = expose(import.meta.url, { movieTheatreQuestion })
