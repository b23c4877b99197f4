/**
 * The live dashboard of a system, as a fastify plugin the REST gateway mounts in its
 * authenticated scope (or any fastify server does).
 *
 * @packageDocumentation
 */
export type { ActorOrder, ActorRow, RowPage, TopActors } from './actor-table.ts'
export type { DashboardOptions, DashboardPlugin } from './dashboard-plugin.ts'
export { DASHBOARD_CSP, dashboardPlugin } from './dashboard-plugin.ts'
export type { DeadLetterView } from './dead-letter-ring.ts'
export type { Delta, MemberView } from './live-feed.ts'
