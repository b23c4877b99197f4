import type { RemoteHooks } from './core-extensions.ts'
import type { Names } from './names.ts'
import type { Ref } from './ref.ts'

/**
 * Waits for an actor named `name` on this node or, when the node is networked, in the cluster
 * registry too: whichever finds it first wins, and the other wait is called off. Rejects with
 * `ActorNotFoundError` at the timeout (the local wait's, which names the actor).
 */
export function waitForName(
  names: Names,
  remote: RemoteHooks | undefined,
  name: string,
  options: { timeout?: number; signal?: AbortSignal },
): Promise<Ref> {
  const timeout = options.timeout ?? 5000
  if (remote === undefined || names.find(name) !== undefined) return names.wait(name, timeout, options.signal)
  const race = new AbortController()
  const outer = options.signal
  const forward = () => race.abort(outer?.reason)
  if (outer?.aborted) forward()
  else outer?.addEventListener('abort', forward, { once: true })
  const local = names.wait(name, timeout, race.signal)
  const cluster = remote.waitForActor(name, timeout, race.signal)
  return Promise.any([local, cluster])
    .catch(() => local)
    .finally(() => {
      outer?.removeEventListener('abort', forward)
      race.abort()
    })
}
