import { isatty } from 'node:tty'
import { InvalidOptionError } from './errors.ts'

/**
 * How the default logger writes its lines: `'pretty'` as one readable line per entry (with the
 * stack of an error), for a person at a terminal; `'json'` as pino's JSON lines, for log tools.
 */
export type LogFormat = 'pretty' | 'json'

const logFormats: readonly LogFormat[] = ['pretty', 'json']

/** The environment variable that chooses the default logger's format. */
export const LOG_FORMAT_ENV = 'TROUPE_LOG_FORMAT'

/** Whether `value` is a {@link LogFormat}. */
export function isLogFormat(value: unknown): value is LogFormat {
  return logFormats.includes(value as LogFormat)
}

/** What {@link chooseLogFormat} decides from, besides the option. */
export interface LogFormatContext {
  /** @default process.env */
  env?: NodeJS.ProcessEnv
  /** Whether the lines go to a terminal. @default whether file descriptor 2 (stderr) is a TTY */
  terminal?: boolean
}

/**
 * The default logger's format: `given` (the `logFormat` option), else `TROUPE_LOG_FORMAT`, else
 * `'pretty'` when stderr is a terminal and `'json'` when it is not (a pipe, a file). A value
 * that is neither format is an {@link InvalidOptionError} naming where it came from.
 */
export function chooseLogFormat(given: unknown, context: LogFormatContext = {}): LogFormat {
  if (given !== undefined) return checked(given, '')
  const fromEnv = (context.env ?? process.env)[LOG_FORMAT_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return checked(fromEnv, ` (from ${LOG_FORMAT_ENV})`)
  // The descriptor, not process.stderr: a worker thread's process.stderr is never a TTY, while
  // its writes to descriptor 2 reach the same terminal as its parent's.
  return (context.terminal ?? isatty(2)) ? 'pretty' : 'json'
}

function checked(value: unknown, origin: string): LogFormat {
  if (isLogFormat(value)) return value
  throw new InvalidOptionError(
    'logFormat',
    `expected ${logFormats.map((format) => `'${format}'`).join(' or ')}, got ${JSON.stringify(value)}${origin}`,
  )
}

/**
 * Whether pretty lines are coloured: never with `NO_COLOR`, always with a `FORCE_COLOR` other
 * than `0`, else when they go to a terminal (the conventions of no-color.org and of Node itself).
 */
export function colorWanted(context: LogFormatContext = {}): boolean {
  const env = context.env ?? process.env
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0'
  return context.terminal ?? isatty(2)
}
