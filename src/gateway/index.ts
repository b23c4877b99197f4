/**
 * Troupe's REST gateway: the actors of a cluster over HTTP, secure by default.
 * `import { startGateway } from 'troupe/gateway'`.
 *
 * @packageDocumentation
 */
export type { DashboardOptions, DashboardPlugin, Delta as DashboardDelta } from './dashboard/index.ts'
export { dashboardPlugin } from './dashboard/index.ts'
export { exposeTypes, typesExposedBy } from './expose-types.ts'
export type { ExposedType, GatewayCorsOptions, GatewayOptions, GatewayPlugin } from './options.ts'
export type { Problem } from './security/problem.ts'
export type { Gateway } from './server.ts'
export { startGateway } from './server.ts'
