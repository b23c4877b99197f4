import { TroupeError } from '../concurrency/errors.ts'

/**
 * The typed key of one extension of an actor system (protoactor-go's `remote.GetRemote(system)`):
 * the layer that provides the extension and the layers that use it share the key, and the value's
 * type comes with it.
 *
 * @example
 * ```ts
 * const METRICS = new ExtensionKey<Metrics>('metrics', 'start the system with metrics on')
 * system.extensions.set(METRICS, new Metrics())
 * system.extensions.require(METRICS).count('orders')
 * ```
 */
export class ExtensionKey<T> {
  /** Only for the type: a key of `T` holds a `T`. */
  declare readonly valueType?: T

  constructor(
    /** What the extension is, for error messages: `'remote'`, `'registry link'`. */
    readonly name: string,
    /** How to get a system that has it, said when it is missing. */
    readonly hint?: string,
  ) {}

  toString(): string {
    return `ExtensionKey(${this.name})`
  }
}

/** A system lacks an extension that a call needs: `hint` says how to start one that has it. */
export class MissingExtensionError extends TroupeError {
  constructor(
    readonly extension: string,
    node: string,
    hint: string | undefined,
  ) {
    super(`this system (${node}) has no ${extension}${hint === undefined ? '' : `: ${hint}`}`)
  }
}

/**
 * The extensions of one actor system, by typed key: what the node-to-node layer, the registry and
 * the child nodes plug in through (the core defines the keys it consumes; every other layer defines
 * its own).
 */
export class Extensions {
  private readonly values = new Map<ExtensionKey<unknown>, unknown>()

  constructor(private readonly node: string) {}

  /** The extension under `key`, or `undefined` when the system has none. */
  get<T>(key: ExtensionKey<T>): T | undefined {
    return this.values.get(key) as T | undefined
  }

  /** The extension under `key`; throws {@link MissingExtensionError} naming it when there is none. */
  require<T>(key: ExtensionKey<T>): T {
    const value = this.values.get(key)
    if (value === undefined) throw new MissingExtensionError(key.name, this.node, key.hint)
    return value as T
  }

  has(key: ExtensionKey<unknown>): boolean {
    return this.values.has(key)
  }

  /** Sets (or replaces) the extension under `key`. */
  set<T>(key: ExtensionKey<T>, value: T): void {
    this.values.set(key, value)
  }

  /** The extension under `key`, made by `make` and set if there is none yet. */
  ensure<T>(key: ExtensionKey<T>, make: () => T): T {
    const known = this.values.get(key)
    if (known !== undefined) return known as T
    const made = make()
    this.values.set(key, made)
    return made
  }

  /** Removes the extension under `key`. */
  delete(key: ExtensionKey<unknown>): void {
    this.values.delete(key)
  }
}
