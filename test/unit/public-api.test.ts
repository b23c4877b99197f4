import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as troupe from 'troupe'
import * as flow from 'troupe/flow'
import * as gateway from 'troupe/gateway'
import * as testkit from 'troupe/testkit'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { root } from '../support/run-node.ts'

/**
 * The public API is curated: a new export of `troupe`, `troupe/testkit`, `troupe/flow` or `troupe/gateway` is a decision, made here
 * (and in README.md's API overview). What Troupe's own folders need beyond it is in src/internal.ts.
 */
const TROUPE_VALUES = [
  // Starting a system
  'start',
  // Defining actors
  'defineActor',
  'defineProcess',
  // Refs and messages
  'Exit',
  'isRef',
  'Terminated',
  // Supervision
  'supervisor',
  // Structured concurrency and cancellation
  'currentSignal',
  'failAfter',
  'isCancellation',
  'moveOnAfter',
  'openCancelScope',
  'openNursery',
  'sleep',
  // Remote work
  'currentActor',
  'expose',
  'findActor',
  'portalOf',
  'waitForActor',
  // Child nodes
  'childData',
  'createChildPool',
  'isChildNode',
  'startChildNode',
  // Inspection
  'listActors',
  'MAX_OBSERVE_LIMIT',
  // Errors
  'ActorNotFoundError',
  'ActorStoppedError',
  'AskTimeoutError',
  'CancelledError',
  'ContextClosedError',
  'ContextMisuseError',
  'EncodeError',
  'InvalidOptionError',
  'LinkedActorFailedError',
  'MailboxFullError',
  'MessageTooLargeError',
  'NameTakenError',
  'NoSnapshotError',
  'NatsConnectError',
  'NodeDownError',
  'NotExposedError',
  'ReceiveTimeoutError',
  'RegistryUnavailableError',
  'RemoteActorError',
  'RemoteSpawnError',
  'RestartIntensityError',
  'ServiceBusyError',
  'ServiceError',
  'ServicePayloadError',
  'ServiceTimeoutError',
  'ServiceUnavailableError',
  'StartInChildNodeError',
  'TimeoutError',
  'TroupeError',
  'TsxNotFoundError',
  'UnhandledMessageError',
  'UntrustedRequestError',
]

const TROUPE_TYPES = [
  // Starting a system
  'ActorSystem',
  'ClusterOptions',
  'ErrorClass',
  'IsolationMode',
  'LivenessOptions',
  'LogFormat',
  'NodeOptions',
  'SchedulerOptions',
  'SystemOptions',
  'UntrustedSettings',
  // Defining actors
  'ActorContext',
  'ActorDefinition',
  'AnyBehavior',
  'Behavior',
  'HandlerBehavior',
  'NextState',
  'ProcessBehavior',
  'ProcessContext',
  'ProcessDefaults',
  'ProcessFunction',
  'ReceiveOptions',
  'SpawnOptions',
  // Refs and messages
  'AskOptions',
  'MailboxOptions',
  'OverflowPolicy',
  'Ref',
  'Signal',
  // Supervision
  'Backoff',
  'ChildInfo',
  'ChildSpec',
  'Directive',
  'RestartType',
  'Strategy',
  'SupervisionOptions',
  'SupervisorMessage',
  'SupervisorSpec',
  // Structured concurrency and cancellation
  'ActorNursery',
  'CancelledBy',
  'CancelScope',
  'CancelScopeOptions',
  'Nursery',
  'NurseryOptions',
  'RunningActor',
  'SleepOptions',
  'Task',
  // Remote work
  'CallArgs',
  'ContextArgs',
  'ContextChannel',
  'ContextFunction',
  'ContextOf',
  'CurrentActor',
  'ExposableFunction',
  'Exposed',
  'FunctionRef',
  'OpenOptions',
  'Portal',
  'PortalContext',
  'PortalOptions',
  'RunOptions',
  'RunResult',
  'StreamableFunction',
  'StreamItem',
  'StreamOptions',
  // Child nodes
  'ChildExit',
  'ChildNode',
  'ChildNodeOptions',
  'ChildPool',
  'ChildPoolOptions',
  'ChildPortal',
  // Clusters over NATS
  'ClusterMember',
  'NatsOptions',
  'NatsTlsOptions',
  'ServiceHandle',
  'ServiceHandler',
  'ServiceOptions',
  'ServiceRequestInfo',
  'ServiceRequestOptions',
  // Inspection
  'ActorCounters',
  'DeadLetterReason',
  'HookName',
  'InspectionEvent',
  'InspectionListener',
  'InspectOptions',
  'ObservedActor',
  'ObservedPage',
  'ObserveOptions',
  'RegisteredActor',
  'StopReason',
  // Errors
  'CancelledErrorOptions',
]

const TESTKIT_VALUES = [
  'createTestProbe',
  'deferred',
  'freePort',
  'InProcessNetwork',
  'nextEvent',
  'recordEvents',
  'TestProbe',
  'withTestSystem',
]

const TESTKIT_TYPES = ['Deferred', 'EventOf', 'ExpectOptions', 'InProcessNetworkOptions']

const FLOW_VALUES = [
  // Graphs
  'createEvent',
  'defineComponent',
  'deriveEvent',
  'director',
  // Placement
  'exposeComponents',
  'hostComponents',
  // Built-in components
  'BasicAuth',
  'Http',
  'Log',
  'Route',
  'Stdout',
  'Ticker',
  'Transform',
  // MajorDomo
  'MajordomoBroker',
  'MajordomoClient',
  'MajordomoWorker',
  'mdpClient',
  'startBroker',
  'startWorker',
  // Graph files
  'loadGraph',
  // Errors
  'ComponentStartError',
  'GraphError',
  'MajordomoError',
  'MdpClientClosedError',
  'MdpServiceError',
  'MdpTimeoutError',
  'StatusError',
]

const FLOW_TYPES = [
  'BasicAuthOptions',
  'BoxRef',
  'Broker',
  'BrokerOptions',
  'BrokerStats',
  'ClientOptions',
  'Component',
  'ComponentContext',
  'ComponentHandle',
  'ComponentOptions',
  'Director',
  'Endpoint',
  'EventError',
  'FlowEvent',
  'HttpComponent',
  'HttpOptions',
  'LogOptions',
  'MajordomoClientOptions',
  'MajordomoWorkerOptions',
  'MdpClient',
  'MdpHandler',
  'MdpLogger',
  'MdpWorker',
  'RequestBody',
  'RequestOptions',
  'StdoutOptions',
  'TickerOptions',
  'WorkerOptions',
]

const GATEWAY_VALUES = ['dashboardPlugin', 'exposeTypes', 'startGateway', 'typesExposedBy']

const GATEWAY_TYPES = [
  'DashboardDelta',
  'DashboardOptions',
  'DashboardPlugin',
  'ExposedType',
  'Gateway',
  'GatewayCorsOptions',
  'GatewayOptions',
  'GatewayPlugin',
  'Problem',
]

const sorted = (names: readonly string[]) => [...names].sort()

/** The names an entry module exports, read from its syntax: each `export { … }` names them one by one. */
function exportsOf(path: string): { values: string[]; types: string[]; wholesale: string[] } {
  const file = join(root, path)
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  const values: string[] = []
  const types: string[] = []
  const wholesale: string[] = []
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement)) continue
    const clause = statement.exportClause
    if (clause === undefined || ts.isNamespaceExport(clause)) {
      wholesale.push(statement.getText(source))
      continue
    }
    for (const element of clause.elements) {
      ;(statement.isTypeOnly || element.isTypeOnly ? types : values).push(element.name.text)
    }
  }
  return { values, types, wholesale }
}

describe('the public API', () => {
  it('troupe exports exactly the curated values', () => {
    expect(sorted(Object.keys(troupe))).toEqual(sorted(TROUPE_VALUES))
  })

  it('troupe/testkit exports exactly the curated values', () => {
    expect(sorted(Object.keys(testkit))).toEqual(sorted(TESTKIT_VALUES))
  })

  it('troupe/flow exports exactly the curated values', () => {
    expect(sorted(Object.keys(flow))).toEqual(sorted(FLOW_VALUES))
  })

  it('troupe/gateway exports exactly the curated values', () => {
    expect(sorted(Object.keys(gateway))).toEqual(sorted(GATEWAY_VALUES))
  })

  it('the entries name every export, none wholesale, and each once', () => {
    for (const [path, values, types] of [
      ['src/index.ts', TROUPE_VALUES, TROUPE_TYPES],
      ['src/testkit/index.ts', TESTKIT_VALUES, TESTKIT_TYPES],
      ['src/flow/index.ts', FLOW_VALUES, FLOW_TYPES],
      ['src/gateway/index.ts', GATEWAY_VALUES, GATEWAY_TYPES],
    ] as const) {
      const found = exportsOf(path)
      expect(found.wholesale, `${path} re-exports a module wholesale`).toEqual([])
      expect(sorted(found.values), `${path}'s values`).toEqual(sorted(values))
      expect(sorted(found.types), `${path}'s types`).toEqual(sorted(types))
    }
  })
})
