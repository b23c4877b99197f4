import { type Level, type Logger, pino } from 'pino'
import { InvalidOptionError } from './errors.ts'
import { escapeJsonControl } from './escape-control.ts'
import { chooseLogFormat, colorWanted, type LogFormat } from './log-format.ts'
import { prettyLogLine } from './pretty-log.ts'

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const ERROR_LEVEL = 50

/** A system's logger, and the format of its lines when it is the default one. */
export interface SystemLogger {
  logger: Logger
  /** `undefined` for a logger the system was given. */
  format: LogFormat | undefined
}

/**
 * The logger of a system on node `node`: `options.logger`, else the {@link defaultLogger} at
 * `options.logLevel` (else `TROUPE_LOG_LEVEL`, else `info`) in `options.logFormat` (see
 * {@link chooseLogFormat}). A bad level or format is an {@link InvalidOptionError}.
 */
export function systemLogger(
  options: { logger?: Logger; logLevel?: unknown; logFormat?: unknown },
  node: string,
): SystemLogger {
  const level = options.logLevel ?? process.env.TROUPE_LOG_LEVEL ?? 'info'
  if (typeof level !== 'string' || !logLevels.includes(level))
    throw new InvalidOptionError('logLevel', `expected one of ${logLevels.join(', ')}`)
  if (options.logger !== undefined) {
    if (options.logFormat !== undefined) chooseLogFormat(options.logFormat)
    return { logger: options.logger, format: undefined }
  }
  const format = chooseLogFormat(options.logFormat)
  return { logger: defaultLogger({ level: level as Level, node, format }), format }
}

/** What the default logger of a system is made from. */
export interface DefaultLoggerSettings {
  level: Level | 'silent'
  /** The node's name, on every line. */
  node: string
  format: LogFormat
  /** Colour pretty lines. @default colorWanted() */
  color?: boolean
}

/**
 * The logger a system has when it is given none: pino, writing to stderr synchronously (so that
 * no line is lost at `process.exit`, and none waits for a worker thread), as JSON lines or as
 * {@link prettyLogLine}'s readable ones. Stacks of errors are shown in pretty lines at `error`
 * and above, and at every level when the logger's level is `debug` or `trace`. No line carries a
 * raw control character of what was logged (a peer's name, a remote error's message): JSON lines
 * escape them all, pretty lines write them out as `\x1b` and the like.
 */
export function defaultLogger(settings: DefaultLoggerSettings): Logger {
  const destination = pino.destination({ dest: 2, sync: true })
  const options = { level: settings.level, base: { node: settings.node } }
  if (settings.format === 'json') {
    return pino({ ...options, hooks: { streamWrite: escapeJsonControl } }, destination)
  }
  const pretty = {
    color: settings.color ?? colorWanted(),
    stacksFrom: settings.level === 'debug' || settings.level === 'trace' ? 0 : ERROR_LEVEL,
  }
  return pino(options, {
    write(line: string) {
      destination.write(prettyLogLine(line, pretty))
    },
  })
}
