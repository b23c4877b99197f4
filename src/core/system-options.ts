import type { Level, Logger } from 'pino'
import type { IsolationMode } from './isolation.ts'
import type { LogFormat } from './log-format.ts'
import type { SchedulerOptions } from './scheduler.ts'
import type { SupervisionOptions } from './supervision.ts'

/** Options of the actor system of one node (`start` takes them, with those of its network). */
export interface SystemOptions {
  /**
   * This node's name, the host part of every address (`troupe://<node>/user/a`); a networked
   * node is `name@host:port`.
   * @default 'local'
   */
  node?: string
  /**
   * How a local send isolates a message: `'freeze'` deep-freezes it, `'clone'` copies it
   * (structuredClone semantics, refs shared), `'none'` passes it as is (fastest).
   * @default 'freeze', or 'none' when NODE_ENV=production
   */
  messages?: IsolationMode
  /** A pino logger to write to; by default one that writes to stderr. */
  logger?: Logger
  /**
   * Level of the default logger.
   * @default process.env.TROUPE_LOG_LEVEL, else 'info'
   */
  logLevel?: Level | 'silent'
  /**
   * Format of the default logger's lines: `'pretty'` (one readable line per entry, stacks under
   * errors) or `'json'` (pino's JSON lines, for log tools).
   * @default process.env.TROUPE_LOG_FORMAT, else 'pretty' when stderr is a terminal, else 'json'
   */
  logFormat?: LogFormat
  scheduler?: SchedulerOptions
  /**
   * How actors spawned directly on the system are supervised.
   * @default restart, at most 3 restarts within 5 s per actor, then stop it
   */
  supervision?: SupervisionOptions
  /**
   * Timeout of an `ask` that gives none.
   * @default 5000
   */
  askTimeoutMs?: number
}
