import { type Logger, pino } from 'pino'
import type { LogLevel } from './options.ts'

interface LogLine {
  level: number
  msg?: string
  err?: { message?: string }
}

/**
 * The logger of a node the CLI starts: one readable line per entry on stderr (`[warn] ...`),
 * since a person reads it in a terminal; programs that want pino's JSON start nodes themselves.
 */
export function cliLogger(level: LogLevel): Logger {
  return pino(
    { level, base: undefined, timestamp: false },
    {
      write(line: string) {
        const entry = JSON.parse(line) as LogLine
        const label = pino.levels.labels[entry.level] ?? String(entry.level)
        process.stderr.write(`[${label}] ${entry.msg ?? entry.err?.message ?? ''}\n`)
      },
    },
  )
}
