/**
 * Data-flow graphs, as compysition's: a director wires components (actors with named inboxes
 * and outboxes) into pipelines with fan-out, funnels and error routes, and built-in components
 * serve HTTP through them. `import { director, Http, Transform } from 'troupe/flow'`.
 *
 * @packageDocumentation
 */
export type { Component, ComponentContext, ComponentLog } from './component.ts'
export { defineComponent, ERROR, INBOX, OUTBOX } from './component.ts'
export type { BasicAuthOptions } from './components/basic-auth.ts'
export { BasicAuth } from './components/basic-auth.ts'
export type { HttpComponent, HttpOptions } from './components/http.ts'
export { Http } from './components/http.ts'
export type { LogOptions } from './components/log.ts'
export { Log } from './components/log.ts'
export { Route } from './components/route.ts'
export type { StdoutOptions } from './components/stdout.ts'
export { Stdout } from './components/stdout.ts'
export type { TickerOptions } from './components/ticker.ts'
export { Ticker } from './components/ticker.ts'
export { Transform } from './components/transform.ts'
export type { BoxRef, ComponentHandle, ComponentOptions, Director, Endpoint } from './director.ts'
export { DEFAULT_CAPACITY, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_EVENT_TIMEOUT_MS, director } from './director.ts'
export { ComponentStartError, GraphError, StatusError } from './errors.ts'
export type { EventError, FlowEvent } from './event.ts'
export { createEvent, deriveEvent } from './event.ts'
export type { ComponentSpec, ConnectionSpec, GraphSpec } from './graph/graph-file.ts'
export { parseGraph, readGraphFile } from './graph/graph-file.ts'
export { buildGraph, loadGraph } from './graph/load-graph.ts'
