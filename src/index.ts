/**
 * Troupe: actors for TypeScript on Node.js.
 *
 * Every export is a decision: the list is held by test/unit/public-api.test.ts. What sibling
 * folders need beyond it comes from `internal.ts`; helpers for tests from `troupe/testkit`.
 *
 * @packageDocumentation
 */
// biome-ignore-all assist/source/organizeImports: the exports are grouped by purpose, not by module

// Starting a system: one start(), local, a node, or a cluster member.
export { start } from './node/start.ts'
export type { ClusterOptions, NodeOptions } from './node/start.ts'
export type { LivenessOptions, UntrustedSettings } from './remote/index.ts'
export type { ErrorClass } from './wire/index.ts'
export type { ActorSystem, IsolationMode, LogFormat, SchedulerOptions, SystemOptions } from './core/index.ts'

// Defining actors: handler style and process style.
export { defineActor, defineProcess } from './core/index.ts'
export type {
  ActorContext,
  ActorDefinition,
  AnyBehavior,
  Behavior,
  HandlerBehavior,
  NextState,
  ProcessBehavior,
  ProcessContext,
  ProcessDefaults,
  ProcessFunction,
  ReceiveOptions,
  SpawnOptions,
} from './core/index.ts'

// Refs and messages: tell, ask, send, mailboxes, lifecycle signals.
export { Exit, isRef, Terminated } from './core/index.ts'
export type { AskOptions, MailboxOptions, OverflowPolicy, Ref, Signal } from './core/index.ts'

// Supervision: strategies, directives, Erlang-style supervisors.
export { supervisor } from './core/index.ts'
export type {
  Backoff,
  ChildInfo,
  ChildSpec,
  Directive,
  RestartType,
  Strategy,
  SupervisionOptions,
  SupervisorMessage,
  SupervisorSpec,
} from './core/index.ts'

// Structured concurrency and cancellation: nurseries, cancel scopes, deadlines.
export {
  currentSignal,
  failAfter,
  isCancellation,
  moveOnAfter,
  openCancelScope,
  openNursery,
  sleep,
} from './concurrency/index.ts'
export type {
  CancelledBy,
  CancelScope,
  CancelScopeOptions,
  Nursery,
  NurseryOptions,
  SleepOptions,
  Task,
} from './concurrency/index.ts'
export type { ActorNursery, RunningActor } from './core/index.ts'

// Remote work: exposed functions, portals (run, stream, open), the current actor, finding actors.
export { currentActor, expose, findActor, portalOf, waitForActor } from './remote/index.ts'
export type { CurrentActor, Exposed, PortalOptions } from './remote/index.ts'
export type {
  ActorPortal as Portal,
  CallArgs,
  ContextArgs,
  ContextChannel,
  ContextFunction,
  ContextOf,
  ExposableFunction,
  FunctionRef,
  OpenOptions,
  PortalContext,
  RunOptions,
  RunResult,
  StreamableFunction,
  StreamItem,
  StreamOptions,
} from './core/index.ts'

// Child nodes: worker threads and child processes, one at a time or pooled.
export { childData, createChildPool, isChildNode, startChildNode } from './remote/index.ts'
export type { ChildExit, ChildNode, ChildNodeOptions, ChildPool, ChildPoolOptions } from './remote/index.ts'
export type { ChildPortal } from './core/index.ts'

// Clusters over NATS: the members, and services any node serves and any node requests.
export type { NatsOptions, NatsTlsOptions } from './transport/nats/index.ts'
export { NatsConnectError } from './transport/nats/errors.ts'
export type { ClusterMember } from './core/index.ts'
export type {
  ServiceHandle,
  ServiceHandler,
  ServiceOptions,
  ServiceRequestInfo,
  ServiceRequestOptions,
} from './core/core-extensions.ts'

// Inspection: one union of events, an actor's counters, a page of a node's actors, and the named
// actors of a cluster.
export type {
  ActorCounters,
  DeadLetterReason,
  HookName,
  InspectionEvent,
  InspectionListener,
  InspectOptions,
  ObservedActor,
  ObservedPage,
  ObserveOptions,
  StopReason,
} from './core/index.ts'
export { MAX_OBSERVE_LIMIT } from './core/index.ts'
export { listActors } from './registry/index.ts'
export type { RegisteredActor } from './registry/index.ts'

// Errors: each extends TroupeError, and its name is its class's.
export { CancelledError, TimeoutError, TroupeError } from './concurrency/index.ts'
export type { CancelledErrorOptions } from './concurrency/index.ts'
export {
  ActorNotFoundError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidOptionError,
  LinkedActorFailedError,
  MailboxFullError,
  NameTakenError,
  NoSnapshotError,
  ReceiveTimeoutError,
  RestartIntensityError,
  UnhandledMessageError,
} from './core/index.ts'
export { RegistryUnavailableError } from './registry/index.ts'
export {
  ServiceBusyError,
  ServiceError,
  ServicePayloadError,
  ServiceTimeoutError,
  ServiceUnavailableError,
} from './services/errors.ts'
export {
  ContextClosedError,
  ContextMisuseError,
  EncodeError,
  MessageTooLargeError,
  NodeDownError,
  NotExposedError,
  RemoteActorError,
  RemoteSpawnError,
  StartInChildNodeError,
  TsxNotFoundError,
  UntrustedRequestError,
} from './remote/index.ts'
