import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { defineActor } from '../core/behavior.ts'
import { ActorNotFoundError, ActorStoppedError, AskTimeoutError } from '../core/errors.ts'
import { ExtensionKey } from '../core/extensions.ts'
import type { NameListener, Names } from '../core/names.ts'
import type { Ref } from '../core/ref.ts'
import type { ActorSystem } from '../core/system.ts'
import { type NodeEndpoint, parseAddress } from '../remote/node/address.ts'
import { NodeDownError } from '../remote/node/errors.ts'
import type { RegistryClient } from '../remote/node/remote-node.ts'
import { RegistryUnavailableError } from './errors.ts'
import type { RegisterReply, RegistryEntry, RegistryMessage } from './registry-actor.ts'

/** How a link reaches its registry: once at start, and again each time the registry is lost. */
export type ContactRegistry = (signal: AbortSignal) => Promise<Ref<RegistryMessage>>

/** How a {@link RegistryLink} behaves. */
export interface RegistryLinkOptions {
  /** Where the registry is, as the node was given it (for messages). */
  registry: string
  /** Join again when the registry is lost (false on the node that hosts it). */
  rejoins: boolean
  /** Deadline of every ask but `wait`. */
  askTimeoutMs: number
  /** First pause between two attempts to join a lost registry; it doubles up to `retryMaxMs`. */
  retryMinMs: number
  retryMaxMs: number
}

/** The link of a system to its cluster registry, once it has one. */
export const REGISTRY_LINK = new ExtensionKey<RegistryLink>(
  'cluster registry',
  "start it with start({ node, registry: 'host:port' }), or registry: true to host it",
)

/** The link of a system to its cluster registry, if it has one. */
export function linkOf(system: ActorSystem): RegistryLink | undefined {
  return system.extensions.get(REGISTRY_LINK)
}

/**
 * One node's side of the cluster registry: registers every name of the node (present and future),
 * and answers the node's `findActor` and `waitForActor` from the registry. When the registry is lost
 * (its node went down or restarted) the link joins it again, with backoff, and registers every
 * name again; finds and waits meanwhile wait for it, within their deadlines.
 */
export class RegistryLink implements RegistryClient, NameListener {
  private current: Ref<RegistryMessage> | null = null
  private connected = pending<Ref<RegistryMessage>>()
  private readonly closing = new AbortController()
  private readonly logger: Logger

  private constructor(
    private readonly system: ActorSystem,
    private readonly names: Names,
    private readonly contact: ContactRegistry,
    private readonly settings: RegistryLinkOptions,
  ) {
    this.logger = system.logger
  }

  /**
   * Reaches the registry (rejects if it cannot), then registers the node's names with it and
   * follows them.
   */
  static async open(
    system: ActorSystem,
    names: Names,
    contact: ContactRegistry,
    options: RegistryLinkOptions,
  ): Promise<RegistryLink> {
    const link = new RegistryLink(system, names, contact, options)
    const registry = await contact(link.closing.signal)
    // Lives as long as the system: its stop (at shutdown) ends the link's retries.
    system.spawn(
      defineActor<never>({
        receive: (_state, _message, ctx) => ctx.unhandled(),
        stopped: () => link.closing.abort(new Error(`${system.node} is shutting down`)),
      }),
    )
    system.extensions.set(REGISTRY_LINK, link)
    link.attach(registry)
    return link
  }

  // ---- NameListener: the names of this node ----

  registered(name: string, ref: Ref): void {
    const registry = this.current
    if (registry !== null) void this.register(registry, name, ref)
  }

  unregistered(name: string, ref: Ref): void {
    this.current?.tell({ type: 'unregister', name, ref })
  }

  // ---- RegistryClient: what findActor and waitForActor ask ----

  async find(name: string): Promise<Ref | undefined> {
    const found = await this.ask<Ref | null>({ type: 'find', name })
    return found ?? undefined
  }

  async wait(name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Ref> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const left = Math.ceil(deadline - performance.now())
      if (left <= 0) throw new ActorNotFoundError(name, timeoutMs)
      const registry = this.current ?? (await this.reachable(left, signal))
      if (registry === undefined) throw new ActorNotFoundError(name, timeoutMs)
      try {
        return await registry.ask<Ref>(
          { type: 'wait', name, timeoutMs: left },
          signal === undefined ? { timeout: left } : { timeout: left, signal },
        )
      } catch (error) {
        if (error instanceof AskTimeoutError) throw new ActorNotFoundError(name, timeoutMs)
        if (!this.lostWith(registry, error)) throw error
      }
    }
  }

  async locate(node: string): Promise<NodeEndpoint | undefined> {
    const found = await this.ask<NodeEndpoint | null>({ type: 'locate', node })
    return found ?? undefined
  }

  /** The root node, which hosts the registry. */
  get root(): string | undefined {
    return this.current === null ? undefined : parseAddress(this.current.address).node
  }

  /** Every entry of the registry, sorted by name. */
  list(): Promise<RegistryEntry[]> {
    return this.ask<RegistryEntry[]>({ type: 'list' })
  }

  // ---- the registry's life ----

  private attach(registry: Ref<RegistryMessage>): void {
    this.current = registry
    this.connected.resolve(registry)
    void this.system.watch(registry).then(() => this.lost(registry))
    // Names spawned from now on are registered as they come; those already there, here.
    this.names.listener = this
    for (const [name, ref] of this.system.registered()) void this.register(registry, name, ref)
  }

  private lost(registry: Ref<RegistryMessage>): void {
    if (this.current !== registry) return
    this.current = null
    this.connected = pending()
    if (this.closing.signal.aborted || !this.settings.rejoins) return
    this.logger.warn(`lost the cluster registry ${registry.address}: joining it again`)
    void this.rejoin()
  }

  private async rejoin(): Promise<void> {
    const signal = this.closing.signal
    let pause = this.settings.retryMinMs
    while (!signal.aborted) {
      try {
        const registry = await this.contact(signal)
        if (signal.aborted) return
        this.logger.info(`joined the cluster registry ${registry.address} again`)
        this.attach(registry)
        return
      } catch (error) {
        this.logger.debug({ err: error }, `cannot join the cluster registry yet; next try in ${pause} ms`)
        try {
          await sleep(pause, undefined, { signal, ref: false })
        } catch {
          return
        }
        pause = Math.min(this.settings.retryMaxMs, pause * 2)
      }
    }
  }

  /** Whether `error` says that `registry` is gone; if so, the link starts joining it again. */
  private lostWith(registry: Ref<RegistryMessage>, error: unknown): boolean {
    if (!isGoingAway(error)) return false
    if (!this.settings.rejoins) return false
    this.lost(registry)
    return true
  }

  // ---- asking ----

  private async register(registry: Ref<RegistryMessage>, name: string, ref: Ref): Promise<void> {
    try {
      const reply = await registry.ask<RegisterReply>(
        { type: 'register', name, ref },
        { timeout: this.settings.askTimeoutMs, signal: this.closing.signal },
      )
      if (!reply.ok) {
        // One owner everywhere: the refused actor loses the name on this node too (it keeps
        // running, reachable by its ref), so findActor here finds the holder as on every node.
        // This is what settles a name claimed on both sides of a partition, once it heals.
        this.names.unregister(name, ref)
        this.logger.warn(
          { name, holder: reply.holder },
          `the cluster registry refused the name '${name}' to ${ref.address}: ${reply.holder} holds it, and findActor('${name}') finds that one (the actor keeps running without the name)`,
        )
      }
    } catch (error) {
      // A registry lost meanwhile gets every name again once it is joined again.
      if (this.closing.signal.aborted || this.current !== registry) return
      if (isGoingAway(error)) {
        // The registry's node (often this node's parent, shutting down) or the registry itself
        // went away before it answered: not a refusal. Its watch reports the loss, and a
        // registry joined again gets every name again.
        this.logger.debug(
          { err: error, name },
          `cannot register '${name}': the cluster registry went away (${String(error)})`,
        )
        this.lostWith(registry, error)
        return
      }
      this.logger.warn({ err: error, name }, `cannot register '${name}' with the cluster registry`)
    }
  }

  private async ask<R>(message: RegistryMessage): Promise<R> {
    const timeout = this.settings.askTimeoutMs
    const deadline = performance.now() + timeout
    for (;;) {
      const left = Math.ceil(deadline - performance.now())
      const registry = this.current ?? (left > 0 ? await this.reachable(left, undefined) : undefined)
      if (registry === undefined) {
        throw new RegistryUnavailableError(
          this.settings.registry,
          new Error(`not joined again within ${timeout} ms`),
        )
      }
      try {
        return await registry.ask<R>(message, { timeout: left, signal: this.closing.signal })
      } catch (error) {
        if (!this.lostWith(registry, error)) throw error
      }
    }
  }

  /** The registry once it is joined again, or `undefined` if it is not within `timeoutMs`. */
  private async reachable(
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Ref<RegistryMessage> | undefined> {
    const joined = new AbortController()
    const waits = AbortSignal.any([joined.signal, this.closing.signal, ...(signal ? [signal] : [])])
    const timeUp = sleep(timeoutMs, undefined, { signal: waits, ref: false }).then(
      () => undefined,
      () => {
        signal?.throwIfAborted()
        this.closing.signal.throwIfAborted()
        return undefined
      },
    )
    try {
      return await Promise.race([this.connected.promise, timeUp])
    } finally {
      joined.abort()
    }
  }
}

/** Whether an ask to the registry failed because its node or the registry itself is gone. */
function isGoingAway(error: unknown): boolean {
  return error instanceof NodeDownError || error instanceof ActorStoppedError
}

interface Pending<T> {
  promise: Promise<T>
  resolve(value: T): void
}

function pending<T>(): Pending<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((res) => {
    resolve = res
  })
  return { promise, resolve }
}
