import { describeError } from './cli-errors.ts'

/** One `file:line:column: ERROR: text` line of esbuild's message, as tsx passes it on. */
const esbuildLocation = /^(.+):(\d+):(\d+): (?:ERROR|error): (.*)$/

/**
 * Says why a module did not load, on one line. A syntax error that tsx (esbuild) reports says
 * only `Transform failed with N errors:` on its first line and puts each error on a line of its
 * own: those are given as `file:line:column: text`, with the column counted from 1 as editors
 * and `tsc` count it (esbuild counts from 0).
 */
export function describeLoadError(error: unknown): string {
  if (!(error instanceof Error)) return describeError(error)
  const located = error.message
    .split('\n')
    .map((line) => esbuildLocation.exec(line.trim()))
    .filter((match) => match !== null)
    .map(([, file, line, column, text]) => `${file}:${line}:${Number(column) + 1}: ${text}`)
  if (located.length === 0) return describeError(error)
  return located.join('; ')
}
