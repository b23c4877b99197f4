/**
 * Troupe: actors for TypeScript on Node.js.
 *
 * Every export is a decision: the list is held by test/unit/public-api.test.ts. What sibling
 * folders need beyond it comes from `internal.ts`; helpers for tests from `troupe/testkit`.
 *
 * @packageDocumentation
 */

// Structured concurrency and cancellation: nurseries, cancel scopes, deadlines.
// Errors: each extends TroupeError, and its name is its class's.
export type {
  CancelledBy,
  CancelledErrorOptions,
  CancelScope,
  CancelScopeOptions,
  Nursery,
  NurseryOptions,
  SleepOptions,
  Task,
} from './concurrency/index.ts'
export {
  CancelledError,
  currentSignal,
  failAfter,
  isCancellation,
  moveOnAfter,
  openCancelScope,
  openNursery,
  sleep,
  TimeoutError,
  TroupeError,
} from './concurrency/index.ts'
// Starting a system: one start(), local, a node, or a cluster member.
// Defining actors: handler style and process style.
// Refs and messages: tell, ask, send, mailboxes, lifecycle signals.
// Supervision: strategies, directives, Erlang-style supervisors.
// Remote work: exposed functions, portals (run, stream, open), the current actor, finding actors.
// Child nodes: worker threads and child processes, one at a time or pooled.
// Inspection: one union of events, and the named actors of a cluster.
export type {
  ActorContext,
  ActorDefinition,
  ActorNursery,
  ActorPortal as Portal,
  ActorSystem,
  AnyBehavior,
  AskOptions,
  Backoff,
  Behavior,
  CallArgs,
  ChildInfo,
  ChildPortal,
  ChildSpec,
  ContextArgs,
  ContextChannel,
  ContextFunction,
  ContextOf,
  DeadLetterReason,
  Directive,
  ExposableFunction,
  FunctionRef,
  HandlerBehavior,
  HookName,
  InspectionEvent,
  InspectionListener,
  InspectOptions,
  IsolationMode,
  LogFormat,
  MailboxOptions,
  NextState,
  OpenOptions,
  OverflowPolicy,
  PortalContext,
  ProcessBehavior,
  ProcessContext,
  ProcessDefaults,
  ProcessFunction,
  ReceiveOptions,
  Ref,
  RestartType,
  RunningActor,
  RunOptions,
  RunResult,
  SchedulerOptions,
  Signal,
  SpawnOptions,
  StopReason,
  Strategy,
  StreamableFunction,
  StreamItem,
  StreamOptions,
  SupervisionOptions,
  SupervisorMessage,
  SupervisorSpec,
  SystemOptions,
} from './core/index.ts'
export {
  ActorNotFoundError,
  ActorStoppedError,
  AskTimeoutError,
  defineActor,
  defineProcess,
  Exit,
  InvalidOptionError,
  isRef,
  LinkedActorFailedError,
  MailboxFullError,
  NameTakenError,
  ReceiveTimeoutError,
  RestartIntensityError,
  supervisor,
  Terminated,
  UnhandledMessageError,
} from './core/index.ts'
export type { ClusterOptions, NodeOptions } from './node/start.ts'
export { start } from './node/start.ts'
export type { RegisteredActor } from './registry/index.ts'
export { listActors, RegistryUnavailableError } from './registry/index.ts'
export type {
  ChildExit,
  ChildNode,
  ChildNodeOptions,
  ChildPool,
  ChildPoolOptions,
  CurrentActor,
  Exposed,
  LivenessOptions,
  PortalOptions,
} from './remote/index.ts'
export {
  ContextClosedError,
  childData,
  createChildPool,
  currentActor,
  EncodeError,
  expose,
  findActor,
  isChildNode,
  MessageTooLargeError,
  NodeDownError,
  NotExposedError,
  portalOf,
  RemoteActorError,
  RemoteSpawnError,
  StartInChildNodeError,
  startChildNode,
  TsxNotFoundError,
  waitForActor,
} from './remote/index.ts'
