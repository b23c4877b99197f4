/**
 * Data-flow graphs, as compysition's: a director wires components (actors with named inboxes
 * and outboxes) into pipelines with fan-out, funnels and error routes, and built-in components
 * serve HTTP through them. `import { director, Http, Transform } from 'troupe/flow'`.
 *
 * @packageDocumentation
 */
// biome-ignore-all assist/source/organizeImports: the exports are grouped by purpose, not by module
// Graphs: a director, its components and their events.
export { director } from './director.ts'
export type { BoxRef, ComponentHandle, ComponentOptions, Director, Endpoint } from './director.ts'
export { defineComponent } from './component.ts'
export type { Component, ComponentContext } from './component.ts'
export { createEvent, deriveEvent } from './event.ts'
export type { EventError, FlowEvent } from './event.ts'

// Placement: components in other threads, processes and nodes.
export { exposeComponents } from './recipes.ts'
export { hostComponents } from './component-actor.ts'

// Built-in components.
export { BasicAuth } from './components/basic-auth.ts'
export type { BasicAuthOptions } from './components/basic-auth.ts'
export { Http } from './components/http.ts'
export type { HttpComponent, HttpOptions } from './components/http.ts'
export { Log } from './components/log.ts'
export type { LogOptions } from './components/log.ts'
export { Route } from './components/route.ts'
export { Stdout } from './components/stdout.ts'
export type { StdoutOptions } from './components/stdout.ts'
export { Ticker } from './components/ticker.ts'
export type { TickerOptions } from './components/ticker.ts'
export { Transform } from './components/transform.ts'

// MajorDomo (ZeroMQ's MDP/0.1): a broker, workers and clients, and the same as components.
export { MajordomoBroker, MajordomoClient, MajordomoWorker } from './components/majordomo.ts'
export type { MajordomoClientOptions, MajordomoWorkerOptions } from './components/majordomo.ts'
export { mdpClient, startBroker, startWorker } from './majordomo/index.ts'
export type {
  Broker,
  BrokerOptions,
  BrokerStats,
  ClientOptions,
  MdpClient,
  MdpHandler,
  MdpLogger,
  MdpWorker,
  RequestBody,
  RequestOptions,
  WorkerOptions,
} from './majordomo/index.ts'

// Graph files (YAML or JSON), as `troupe flow` runs them.
export { loadGraph } from './graph/load-graph.ts'

// Errors: each extends TroupeError.
export { ComponentStartError, GraphError, StatusError } from './errors.ts'
export { MajordomoError, MdpClientClosedError, MdpServiceError, MdpTimeoutError } from './majordomo/index.ts'
