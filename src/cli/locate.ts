import { type ActorSystem, InvalidOptionError, type Ref } from '../index.ts'
import { CommandFailedError, describeError, UsageError } from './cli-errors.ts'
import type { ActorLocator } from './options.ts'

/** How {@link locate} looks a name up. */
export interface LocateOptions {
  /**
   * Where the node finds names, for messages (`the registry at 127.0.0.1:1616`, `the NATS
   * cluster 'troupe'`); names need one.
   */
  namesIn: string | undefined
  /** `true`: wait up to `timeoutMs` for the name to be registered; `false`: it must be there now. */
  wait: boolean
  timeoutMs: number
  /** The option the locator came from, for messages (`--using other`, `target`). */
  what: string
  /** Gives up waiting when it aborts (rejecting with its reason). */
  signal?: AbortSignal
}

/**
 * The ref of an actor given on the command line: an address `troupe://node/path` as it is, or a
 * name found in the cluster registry.
 */
export async function locate<M = unknown>(
  system: ActorSystem,
  locator: ActorLocator,
  options: LocateOptions,
): Promise<Ref<M>> {
  if (locator.kind === 'address') {
    try {
      return system.refOf<M>(locator.address)
    } catch (error) {
      if (error instanceof InvalidOptionError)
        throw new UsageError(`${options.what}: ${describeError(error)}`, { cause: error })
      throw error
    }
  }
  checkLocator(locator, options.namesIn, options.what)
  const where = options.namesIn
  if (options.wait) {
    try {
      return await system.waitForActor<M>(locator.name, {
        timeout: options.timeoutMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      })
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason
      throw new CommandFailedError(
        `${options.what}: no actor named '${locator.name}' in ${where} within ${options.timeoutMs} ms (${describeError(error)})`,
        { cause: error },
      )
    }
  }
  const found = await system.findActor<M>(locator.name)
  if (found === undefined)
    throw new CommandFailedError(`${options.what}: no actor named '${locator.name}' in ${where}`)
  return found
}

/** A name needs a registry (or a NATS cluster) to be looked up in: a {@link UsageError} when none is given. */
export function checkLocator(locator: ActorLocator, namesIn: string | undefined, what: string): void {
  if (locator.kind === 'name' && namesIn === undefined) {
    throw new UsageError(
      `${what}: '${locator.name}' is a name; give --registry host:port to look it up in the cluster registry (or --nats to look it up in the NATS cluster), or a troupe:// address`,
    )
  }
}

/** Where a node started with these options finds names: its registry, its NATS cluster, or nowhere. */
export function namesInOf(options: {
  registry?: string
  nats?: string[]
  natsPrefix?: string
}): string | undefined {
  if (options.registry !== undefined) return `the registry at ${options.registry}`
  if (options.nats !== undefined) return `the NATS cluster '${options.natsPrefix ?? 'troupe'}'`
  return undefined
}
