import { AsyncLocalStorage } from 'node:async_hooks'

const storages: AsyncLocalStorage<unknown>[] = []
const inRootContext = AsyncLocalStorage.snapshot()

/**
 * An AsyncLocalStorage for what is ambient in a task (its cancel scope, the portal call it
 * serves): actors do not inherit it from whoever sent them a message (see {@link outsideAmbient}).
 */
export function ambientStorage<T>(): AsyncLocalStorage<T> {
  const storage = new AsyncLocalStorage<T>()
  storages.push(storage as AsyncLocalStorage<unknown>)
  return storage
}

/**
 * Runs `fn` outside every ambient storage: in the root async context when one of them is set
 * (a check of a few nanoseconds), else as is.
 */
export function outsideAmbient(fn: () => void): void {
  for (const storage of storages) {
    if (storage.getStore() !== undefined) {
      inRootContext(fn)
      return
    }
  }
  fn()
}
