import { TroupeError } from '../concurrency/errors.ts'

/**
 * The cluster registry cannot be reached: nothing answers at its address, the node there runs no
 * registry, or it was lost and not joined again in time. `cause` says what failed.
 */
export class RegistryUnavailableError extends TroupeError {
  constructor(
    /** The registry's address, as the node was given it (`host:port` or `name@host:port`). */
    readonly registry: string,
    cause: unknown,
  ) {
    super(
      `the cluster registry at ${registry} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
  }
}
