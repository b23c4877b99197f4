import type { ActorSystem, Ref } from '../index.ts'
import { InvalidOptionError } from '../index.ts'
import { type Backlog, backlogOf } from './backlog.ts'
import { type Component, ERROR, INBOX, OUTBOX } from './component.ts'
import {
  COMPONENT_ACTOR,
  ComponentActor,
  type ComponentMessage,
  type Counts,
  type MutableCounts,
  type Outcome,
  type Routes,
  type Target,
} from './component-actor.ts'
import { ComponentStartError, GraphError } from './errors.ts'
import { checkCycles, type Wire } from './graph-check.ts'
import { type CountReader, countInFlight, drain } from './in-flight.ts'
import { type Placement, placementOf } from './placement.ts'

/** @default 100: events a component's inbox holds before senders wait for room. */
export const DEFAULT_CAPACITY = 100
/** @default 30000: the longest a component may take over one event. */
export const DEFAULT_EVENT_TIMEOUT_MS = 30_000
/** @default 10000: how long `stop()` waits for the events in flight. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000

/** Options of one component in a graph. */
export interface ComponentOptions {
  /**
   * Events its inbox holds; a sender to a full inbox waits for room, so a slow component slows
   * what feeds it instead of letting memory grow.
   * @default 100
   */
  capacity?: number
  /**
   * The longest it may take over one event; past it the event goes to the error route with a
   * `TimeoutError`.
   * @default 30000
   */
  timeoutMs?: number
  /**
   * Runs the component in a new worker thread or child process of this node, as
   * `spawn(def, { in })` does. The other side makes the component again from its recipe: a
   * built-in made from plain data, a graph file's entry, or a component its module exposes with
   * `exposeComponents` (before `start()`). Events reach it and leave it as messages between nodes.
   * @default this thread
   */
  in?: 'thread' | 'process'
  /**
   * Runs the component on another node of the cluster (`name@host:port`, over TCP or NATS), which
   * has called `hostComponents(system)`. Not with `in`.
   * @default this node
   */
  on?: string
}

/** One end of a connection: a component (its `outbox` or `inbox`), or one of its named boxes. */
export type Endpoint = string | ComponentHandle | BoxRef

/** A named box of a component, as `handle.out('matched')` or `handle.in('other')` gives it. */
export interface BoxRef {
  readonly component: string
  readonly box: string
}

/** A component added to a graph. */
export interface ComponentHandle {
  readonly name: string
  /** The outbox `box` of this component, for `connect`. */
  out(box: string): BoxRef
  /** The inbox `box` of this component, for `connect`. */
  in(box: string): BoxRef
}

/** A graph of components: add them, connect their boxes, start, stop. */
export interface Director {
  /** Adds a component under `name` (unique in the graph). */
  add(name: string, component: Component, options?: ComponentOptions): ComponentHandle
  /**
   * Connects an outbox to one inbox or several: each event sent on it goes to every inbox
   * connected (fan-out, the same frozen event to each); many outboxes may feed one inbox.
   */
  connect(from: Endpoint, to: Endpoint | readonly Endpoint[]): Director
  /** Connects the error outbox of `from` (its failures) to `to`. */
  connectError(from: Endpoint, to: Endpoint | readonly Endpoint[]): Director
  /** Checks the whole graph as `start` does, and starts nothing: a cycle with no exit is a `GraphError`. */
  check(): void
  /** Checks the graph, spawns a component actor each, wires them and starts them. */
  start(): Promise<void>
  /** The components' names, and the connections made (`from.outbox -> to.inbox`). */
  describe(): { components: string[]; connections: string[] }
  /** Stops the sources, lets the events in flight drain (up to `drainTimeoutMs`), then stops every component. */
  stop(options?: { drainTimeoutMs?: number }): Promise<void>
  /**
   * Events sent to an inbox and not handled yet, counted by every component wherever it runs (one
   * ask to each).
   */
  inFlight(): Promise<number>
}

interface Entry {
  readonly name: string
  readonly component: Component
  readonly options: { readonly capacity: number; readonly timeoutMs: number }
  readonly placement: ReturnType<typeof placementOf>
  readonly source: boolean
  ref?: Ref<ComponentMessage>
  /** The counts of an actor in this thread, read at once; one elsewhere is asked for them. */
  counts?: MutableCounts
}

/**
 * A director of a data-flow graph, as compysition's: components are actors with named inboxes
 * and outboxes, wired into pipelines with fan-out, funnels and error routes.
 *
 * @example
 * ```ts
 * const flow = director(system)
 * const tick = flow.add('tick', Ticker({ intervalMs: 100 }))
 * flow.connect(tick, [flow.add('a', Stdout({ prefix: 'a: ' })), flow.add('b', Stdout({ prefix: 'b: ' }))])
 * await flow.start()
 * ```
 */
export function director(system: ActorSystem): Director {
  const entries = new Map<string, Entry>()
  const wires: Wire[] = []
  let state: 'building' | 'starting' | 'running' | 'stopping' | 'stopped' = 'building'
  let unwatch: (() => void) | undefined

  const boxOf = (endpoint: Endpoint, side: 'out' | 'in', fallback: string): { name: string; box: string } => {
    const { name, box } =
      typeof endpoint === 'string'
        ? { name: endpoint, box: fallback }
        : 'box' in endpoint
          ? { name: endpoint.component, box: endpoint.box }
          : { name: endpoint.name, box: fallback }
    const entry = entries.get(name)
    if (entry === undefined)
      throw new GraphError(`no component named '${name}' in the graph`, undefined, name)
    const boxes =
      side === 'out'
        ? [OUTBOX, ERROR, ...(entry.component.outboxes ?? [])]
        : [INBOX, ...(entry.component.inboxes ?? [])]
    if (!boxes.includes(box))
      throw new GraphError(
        `component '${name}' (${entry.component.type}) has no ${side === 'out' ? 'outbox' : 'inbox'} '${box}'; it has ${boxes.map((b) => `'${b}'`).join(', ')}`,
        undefined,
        name,
      )
    return { name, box }
  }
  const wire = (from: Endpoint, to: Endpoint | readonly Endpoint[], outbox: string): void => {
    if (state !== 'building') throw new GraphError('connect the components before the graph starts')
    const source = boxOf(from, 'out', outbox)
    for (const target of Array.isArray(to) ? to : [to as Endpoint]) {
      const sink = boxOf(target, 'in', INBOX)
      wires.push({ from: source.name, outbox: source.box, to: sink.name, inbox: sink.box })
    }
  }
  const ask = async (entry: Entry, message: ComponentMessage): Promise<void> => {
    const result = await entry.ref!.ask<Outcome>(message, { timeout: entry.options.timeoutMs })
    if (!result.ok) throw thawed(result.error)
  }

  const flow: Director = {
    inFlight: () => countInFlight(readers(), DEFAULT_EVENT_TIMEOUT_MS),
    add(name, component, options = {}) {
      if (state !== 'building') throw new GraphError('add components before the graph starts')
      if (typeof name !== 'string' || name === '')
        throw new InvalidOptionError('name', 'expected a component name')
      if (entries.has(name))
        throw new GraphError(`a component named '${name}' is in the graph already`, undefined, name)
      entries.set(name, {
        name,
        component,
        source: component.source === true,
        placement: placementOf(name, component, options as Placement),
        options: {
          capacity: positive('capacity', options.capacity ?? DEFAULT_CAPACITY),
          timeoutMs: positive('timeoutMs', options.timeoutMs ?? DEFAULT_EVENT_TIMEOUT_MS),
        },
      })
      return {
        name,
        out: (box) => ({ component: name, box }),
        in: (box) => ({ component: name, box }),
      }
    },
    connect(from, to) {
      wire(from, to, OUTBOX)
      return flow
    },
    connectError(from, to) {
      wire(from, to, ERROR)
      return flow
    },
    check() {
      checkCycles(entries, wires)
    },
    describe() {
      return {
        components: [...entries.keys()],
        connections: wires.map((w) => `${w.from}.${w.outbox} -> ${w.to}.${w.inbox}`),
      }
    },
    async start() {
      if (state !== 'building') throw new GraphError(`the graph is ${state} already`)
      checkCycles(entries, wires)
      state = 'starting'
      if ([...entries.values()].some((entry) => entry.placement.spawn.on !== undefined))
        system.expose({ [COMPONENT_ACTOR]: ComponentActor })
      // Filled as the actors are spawned, read once they start: the actors of this thread share it.
      const backlogs = new Map<Ref, Backlog>()
      for (const entry of entries.values()) {
        const { recipe, spawn } = entry.placement
        let backlog: Backlog | undefined
        if (recipe === undefined) {
          entry.counts = { sent: 0, dropped: 0, handled: 0 }
          backlog = backlogOf(entry.options.capacity, fedFromElsewhere(entry.name))
        }
        entry.ref = system.spawn(ComponentActor, {
          props: {
            name: entry.name,
            timeoutMs: entry.options.timeoutMs,
            ...(recipe === undefined
              ? { component: entry.component, counts: entry.counts, backlog, backlogs }
              : { recipe }),
          },
          mailbox: { capacity: entry.options.capacity, overflow: 'backpressure' },
          ...spawn,
        })
        if (backlog !== undefined) backlogs.set(entry.ref, backlog)
      }
      // Sinks first, sources last: nothing is emitted towards a component that has not started.
      const order = [...entries.values()].sort((a, b) => Number(a.source) - Number(b.source))
      const started: Entry[] = []
      for (const entry of order) {
        try {
          await ask(entry, { kind: 'start', routes: routesOf(entry.name) })
          started.push(entry)
        } catch (error) {
          const failure = new ComponentStartError(entry.name, error)
          system.logger.error({ err: error, component: entry.name }, failure.message)
          await stopAll(started.reverse())
          for (const other of entries.values())
            if (!started.includes(other) && other.ref !== undefined) await system.stop(other.ref)
          state = 'stopped'
          throw failure
        }
      }
      state = 'running'
      unwatch = restartPlaced()
    },
    async stop(options = {}) {
      if (state !== 'running') return
      state = 'stopping'
      unwatch?.()
      const all = [...entries.values()]
      // Sources make no new events (a server stops accepting), but their actors live on: an
      // answer on its way back to Http still finds it.
      await stopAll(
        all.filter((entry) => entry.source),
        false,
      )
      const left = await drain(readers(), options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS)
      if (left > 0)
        system.logger.warn(`the graph stopped with ${left} events still in flight (drainTimeoutMs)`)
      await stopAll(all.filter((entry) => !entry.source))
      for (const entry of all) if (entry.source && entry.ref !== undefined) await system.stop(entry.ref)
      state = 'stopped'
    },
  }

  /** Whether a component placed elsewhere sends to `name`'s inbox. */
  function fedFromElsewhere(name: string): boolean {
    return wires.some((w) => w.to === name && entries.get(w.from)!.placement.recipe !== undefined)
  }

  function routesOf(name: string): Routes {
    const routes = new Map<string, Target[]>()
    for (const w of wires) {
      if (w.from !== name) continue
      const list = routes.get(w.outbox) ?? []
      const target = entries.get(w.to)!
      const across =
        target.placement.recipe !== undefined || entries.get(name)!.placement.recipe !== undefined
      list.push({
        ref: target.ref!,
        inbox: w.inbox,
        ...(across ? { window: target.options.capacity, timeoutMs: target.options.timeoutMs } : {}),
      })
      routes.set(w.outbox, list)
    }
    return [...routes]
  }

  /**
   * A component in a child thread or process whose child died is started again by its supervisor
   * in a new child, where it needs its routes again: the events it held are lost, as between any
   * two nodes, and a drain waits for them no longer than its timeout.
   */
  function restartPlaced(): (() => void) | undefined {
    const placed = new Map<string, Entry>()
    for (const entry of entries.values())
      if (entry.placement.spawn.in !== undefined && entry.ref !== undefined)
        placed.set(entry.ref.address, entry)
    if (placed.size === 0) return undefined
    return system.inspect((event) => {
      if (event.type !== 'restarted' || state !== 'running') return
      const entry = placed.get(event.ref.address)
      if (entry === undefined) return
      system.logger.warn(`component '${entry.name}' restarts in a new ${entry.placement.spawn.in}`)
      ask(entry, { kind: 'start', routes: routesOf(entry.name) }).catch((error: unknown) =>
        system.logger.error(
          { err: error, component: entry.name },
          `component '${entry.name}' failed to start again`,
        ),
      )
    })
  }

  function readers(): CountReader[] {
    return [...entries.values()].flatMap((entry): CountReader[] => {
      const { ref, counts } = entry
      if (counts !== undefined) return [() => counts]
      if (ref === undefined) return []
      return [(timeout) => ref.ask<Counts>({ kind: 'count' }, { timeout })]
    })
  }

  /** Runs each component's `stop`, then (unless `actors` is false) stops its actor. */
  async function stopAll(list: readonly Entry[], actors = true): Promise<void> {
    for (const entry of list) {
      try {
        await ask(entry, { kind: 'stop' })
      } catch (error) {
        system.logger.warn(
          { err: error, component: entry.name },
          `component '${entry.name}' failed to stop cleanly`,
        )
      }
      if (actors && entry.ref !== undefined) await system.stop(entry.ref)
    }
  }
  return flow
}

function positive(option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0))
    throw new InvalidOptionError(option, `expected a positive number, got ${String(value)}`)
  return value
}

/**
 * A copy of an error that came back in a reply: replies are frozen on the way, and a frozen error
 * cannot take what loggers add to the errors they write.
 */
function thawed(error: unknown): unknown {
  if (!(error instanceof Error) || !Object.isFrozen(error)) return error
  const copy = new Error(
    error.message,
    error.cause === undefined ? undefined : { cause: thawed(error.cause) },
  )
  copy.name = error.name
  if (error.stack !== undefined) copy.stack = error.stack
  return copy
}
