export type { ActorNursery, RunningActor } from './actor-nursery.ts'
export type { ActorPortal, OpenOptions, RunOptions, StreamOptions } from './actor-portal.ts'
export type {
  ActorDefinition,
  AnyBehavior,
  Behavior,
  HandlerBehavior,
  NextState,
  ProcessBehavior,
  ProcessDefaults,
  ProcessFunction,
  SpawnOptions,
} from './behavior.ts'
export { defineActor, defineProcess } from './behavior.ts'
export type { ActorContext, ProcessContext, ReceiveOptions } from './context.ts'
export type { ChildPortal, ClusterMember } from './core-extensions.ts'
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
} from './errors.ts'
export type { Extensions } from './extensions.ts'
export { ExtensionKey, MissingExtensionError } from './extensions.ts'
export type {
  CallArgs,
  ContextArgs,
  ContextChannel,
  ContextFunction,
  ContextOf,
  ExposableFunction,
  FunctionRef,
  PortalContext,
  RunResult,
  StreamableFunction,
  StreamItem,
} from './function-ref.ts'
export type {
  DeadLetterReason,
  Directive,
  HookName,
  InspectionEvent,
  InspectOptions,
  StopReason,
} from './inspection.ts'
export type { IsolationMode } from './isolation.ts'
export type { LogFormat } from './log-format.ts'
export type { MailboxOptions, OverflowPolicy } from './mailbox.ts'
export type { ObservedActor, ObservedPage, ObserveOptions } from './observe.ts'
export { MAX_OBSERVE_LIMIT } from './observe.ts'
export type { AskOptions, Ref } from './ref.ts'
export { isRef } from './ref.ts'
export type { InspectionListener } from './runtime.ts'
export type { SchedulerOptions } from './scheduler.ts'
export type { Signal } from './signals.ts'
export { Exit, Terminated } from './signals.ts'
export type { Backoff, Strategy, SupervisionOptions } from './supervision.ts'
export type { ChildInfo, ChildSpec, RestartType, SupervisorMessage, SupervisorSpec } from './supervisor.ts'
export { supervisor } from './supervisor.ts'
export { ActorSystem } from './system.ts'
export type { SystemOptions } from './system-options.ts'
export type { ActorCounters } from './system-refs.ts'
