import { type Logger, pino } from 'pino'

/**
 * A logger for reading examples in a terminal: one short line per entry on stderr instead of
 * pino's JSON. Production code keeps the JSON, which log tools read.
 */
export function readableLogger(level: pino.Level = 'warn'): Logger {
  return pino(
    { level, base: undefined, timestamp: false },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { level: number; msg: string }
        process.stderr.write(`  [${pino.levels.labels[entry.level] ?? entry.level}] ${entry.msg}\n`)
      },
    },
  )
}
