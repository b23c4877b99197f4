import { escapeControl } from './escape-control.ts'

/** How {@link prettyLogLine} writes an entry. */
export interface PrettyLogOptions {
  /** Colour the level (and dim the time) with ANSI escapes. */
  color: boolean
  /**
   * Entries at this pino level or above carry the stack of their `err` on the lines below them;
   * below it, one line names the error. 50 (`error`) shows the stacks of errors and fatal
   * entries only; 0 shows them all.
   */
  stacksFrom: number
}

/** An entry as pino writes it: its level and time, the logger's bindings, the log call's keys. */
type Entry = Record<string, unknown>

/** A serialized error, as pino's `err` serializer makes it. */
interface SerializedError {
  type?: unknown
  message?: unknown
  stack?: unknown
  aggregateErrors?: unknown
  [key: string]: unknown
}

const labels: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}
const colors: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' }
/** Keys shown in the line's head, or not at all; the others follow the message as `key=value`. */
const placed = new Set(['level', 'time', 'node', 'actor', 'msg', 'err', 'pid', 'hostname'])
const errorPlaced = new Set(['type', 'name', 'message', 'stack', 'aggregateErrors'])
const indent = '    '

/**
 * One pino JSON line as a person reads it:
 * `12:04:05.123 WARN  app@127.0.0.1:9700 /user/flaky mailbox passed its high-water mark size=1001`
 * (the node and the actor, unless the message starts with them, then the message and the other keys),
 * followed by the error's stack (and its causes) on indented lines when the entry's level asks
 * for it. The result ends with a newline. A line that is not a JSON object is returned as it is.
 * Every text of the entry has its control characters escaped ({@link escapeControl}): a message
 * or a key from another node can neither colour the terminal nor start a line of its own.
 */
export function prettyLogLine(line: string, options: PrettyLogOptions): string {
  let entry: Entry
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ensureNewline(line)
    entry = parsed as Entry
  } catch {
    return ensureNewline(line)
  }
  return prettyEntry(entry, options)
}

function prettyEntry(entry: Entry, options: PrettyLogOptions): string {
  const level = typeof entry.level === 'number' ? entry.level : 30
  const msg = typeof entry.msg === 'string' ? escapeControl(entry.msg) : ''
  const where = [entry.node, entry.actor]
    .filter((value): value is string => typeof value === 'string' && value !== '')
    .map(escapeControl)
    .filter((value) => !msg.startsWith(value))
  const head = [
    paint(options.color, '2', timeOf(entry.time)),
    paint(options.color, colors[level] ?? '0', (labels[level] ?? String(entry.level)).padEnd(5)),
    ...where,
  ].join(' ')
  const err = isError(entry.err) ? entry.err : undefined
  const words = [msg]
  if (err !== undefined && level < options.stacksFrom) {
    const summary = summaryOf(err)
    if (summary !== '' && !msg.includes(escapeControl(String(err.message ?? summary))))
      words.push(`(${summary})`)
  }
  const extras = Object.entries(entry)
    .filter(([key]) => !placed.has(key))
    .map(([key, value]) => `${escapeControl(key)}=${show(value)}`)
  if (err !== undefined) {
    for (const [key, value] of Object.entries(err)) {
      if (!errorPlaced.has(key)) extras.push(`err.${escapeControl(key)}=${show(value)}`)
    }
  }
  if (entry.err !== undefined && err === undefined) extras.push(`err=${show(entry.err)}`)
  let text = [head, ...words.filter((word) => word !== ''), ...extras].join(' ')
  if (err !== undefined && level >= options.stacksFrom) text += `\n${stackLines(err, indent)}`
  return `${text}\n`
}

function timeOf(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date()
  const two = (n: number) => String(n).padStart(2, '0')
  const ms = String(date.getMilliseconds()).padStart(3, '0')
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${ms}`
}

function paint(color: boolean, code: string, text: string): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text
}

function isError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && ('stack' in value || 'message' in value)
}

function summaryOf(err: SerializedError): string {
  const type = typeof err.type === 'string' ? escapeControl(err.type) : 'Error'
  return typeof err.message === 'string' && err.message !== ''
    ? `${type}: ${escapeControl(err.message)}`
    : type
}

/** The error's stack (its causes are in it already, as pino writes them), then each aggregated error's. */
function stackLines(err: SerializedError, prefix: string): string {
  let stack = typeof err.stack === 'string' && err.stack !== '' ? err.stack : summaryOf(err)
  // A message of several lines (from another node, say) stays on its error's line.
  for (const message of messagesOf(err)) stack = stack.replaceAll(message, escapeControl(message))
  // Frames ('    at f (file:1:2)') go under their error's line ('Error: ...', 'caused by: ...').
  const own = stack
    .split('\n')
    .map(escapeControl)
    .map((line) => (/^\s/.test(line) ? `${prefix}  ${line.trim()}` : `${prefix}${line}`))
  const nested = Array.isArray(err.aggregateErrors)
    ? err.aggregateErrors.filter(isError).map((inner) => stackLines(inner, `${prefix}  `))
    : []
  return [...own, ...nested].join('\n')
}

/** The messages of `err` and of its serialized causes that span lines. */
function messagesOf(err: SerializedError): string[] {
  const messages: string[] = []
  for (let at: unknown = err, depth = 0; isError(at) && depth < 32; at = at.cause, depth++) {
    if (typeof at.message === 'string' && at.message.includes('\n')) messages.push(at.message)
  }
  return messages
}

function show(value: unknown): string {
  // JSON escapes the C0 controls, not DEL and the C1 ones.
  if (typeof value === 'string')
    return escapeControl(/^[^\s"=]+$/.test(value) ? value : JSON.stringify(value))
  return escapeControl(JSON.stringify(value) ?? String(value))
}

function ensureNewline(line: string): string {
  return `${escapeControl(line.endsWith('\n') ? line.slice(0, -1) : line)}\n`
}
