import { pino } from 'pino'
import { InvalidOptionError, start } from 'troupe'
import { describe, expect, it } from 'vitest'
import { escapeJsonControl } from '../../../src/core/escape-control.ts'
import { chooseLogFormat, colorWanted } from '../../../src/core/log-format.ts'
import { prettyLogLine } from '../../../src/core/pretty-log.ts'

describe('chooseLogFormat', () => {
  it('is pretty on a terminal and JSON on a pipe or a file', () => {
    expect(chooseLogFormat(undefined, { env: {}, terminal: true })).toBe('pretty')
    expect(chooseLogFormat(undefined, { env: {}, terminal: false })).toBe('json')
  })

  it('takes TROUPE_LOG_FORMAT over the terminal, and the option over both', () => {
    expect(chooseLogFormat(undefined, { env: { TROUPE_LOG_FORMAT: 'json' }, terminal: true })).toBe('json')
    expect(chooseLogFormat(undefined, { env: { TROUPE_LOG_FORMAT: 'pretty' }, terminal: false })).toBe(
      'pretty',
    )
    expect(chooseLogFormat('json', { env: { TROUPE_LOG_FORMAT: 'pretty' }, terminal: true })).toBe('json')
    expect(chooseLogFormat('pretty', { env: { TROUPE_LOG_FORMAT: 'json' }, terminal: false })).toBe('pretty')
    expect(chooseLogFormat(undefined, { env: { TROUPE_LOG_FORMAT: '' }, terminal: true })).toBe('pretty')
  })

  it('refuses any other value, saying where it came from', () => {
    expect(() => chooseLogFormat('xml', { env: {} })).toThrow(InvalidOptionError)
    expect(() => chooseLogFormat('xml', { env: {} })).toThrow(
      `invalid option 'logFormat': expected 'pretty' or 'json', got "xml"`,
    )
    expect(() => chooseLogFormat(undefined, { env: { TROUPE_LOG_FORMAT: 'PRETTY' } })).toThrow(
      `invalid option 'logFormat': expected 'pretty' or 'json', got "PRETTY" (from TROUPE_LOG_FORMAT)`,
    )
  })

  it('colours a terminal unless NO_COLOR, and anything with FORCE_COLOR', () => {
    expect(colorWanted({ env: {}, terminal: true })).toBe(true)
    expect(colorWanted({ env: {}, terminal: false })).toBe(false)
    expect(colorWanted({ env: { NO_COLOR: '1' }, terminal: true })).toBe(false)
    expect(colorWanted({ env: { FORCE_COLOR: '1' }, terminal: false })).toBe(true)
    expect(colorWanted({ env: { FORCE_COLOR: '0' }, terminal: true })).toBe(false)
  })
})

describe('start({ logFormat })', () => {
  it('gives the system the format it was asked for, and none with a logger of its own', async () => {
    await using json = await start({ logFormat: 'json', logLevel: 'silent' })
    expect(json.logFormat).toBe('json')
    await using pretty = await start({ logFormat: 'pretty', logLevel: 'silent' })
    expect(pretty.logFormat).toBe('pretty')
    await using given = await start({ logger: pino({ level: 'silent' }) })
    expect(given.logFormat).toBeUndefined()
  })

  it('rejects a format that is neither', async () => {
    // @ts-expect-error: not a LogFormat
    await expect(start({ logFormat: 'yaml' })).rejects.toThrow(InvalidOptionError)
  })
})

/** The pretty lines of what `log` writes through a pino logger bound to `node`. */
function prettyLines(
  log: (logger: pino.Logger) => void,
  options: { color?: boolean; stacksFrom?: number } = {},
): string {
  let text = ''
  const logger = pino(
    { level: 'trace', base: { node: 'a@127.0.0.1:9700' } },
    {
      write(line: string) {
        text += prettyLogLine(line, { color: options.color ?? false, stacksFrom: options.stacksFrom ?? 50 })
      },
    },
  )
  log(logger)
  return text
}

const time = String.raw`\d\d:\d\d:\d\d\.\d{3}`

describe('prettyLogLine', () => {
  it('writes the time, the level, the node, the actor, the message and the other keys on one line', () => {
    const text = prettyLines((logger) =>
      logger.child({ actor: '/user/cache' }).warn({ size: 1001, owner: 'two words' }, 'mailbox is full'),
    )
    expect(text).toMatch(
      new RegExp(
        `^${time} WARN  a@127\\.0\\.0\\.1:9700 /user/cache mailbox is full size=1001 owner="two words"\\n$`,
      ),
    )
  })

  it('leaves out the actor when the message starts with it', () => {
    const text = prettyLines((logger) =>
      logger.child({ actor: '/user/flaky' }).info('/user/flaky restarted after failure'),
    )
    expect(text).toMatch(
      new RegExp(`^${time} INFO  a@127\\.0\\.0\\.1:9700 /user/flaky restarted after failure\\n$`),
    )
  })

  it('puts the stack and its causes under an error, and names the error in one line below the stack level', () => {
    const failure = new Error('outer', { cause: new TypeError('inner') })
    const error = prettyLines((logger) => logger.error({ err: failure }, 'it failed'))
    const [head, ...stack] = error.trimEnd().split('\n')
    expect(head).toMatch(new RegExp(`^${time} ERROR a@127\\.0\\.0\\.1:9700 it failed$`))
    expect(stack[0]).toBe('    Error: outer')
    expect(stack[1]).toMatch(/^ {6}at .*log-format\.test\.ts:\d+:\d+/)
    expect(stack).toContain('    caused by: TypeError: inner')
    const warning = prettyLines((logger) => logger.warn({ err: failure }, 'it failed'))
    expect(warning).toMatch(
      new RegExp(`^${time} WARN  a@127\\.0\\.0\\.1:9700 it failed \\(Error: outer: inner\\)\\n$`),
    )
    const debug = prettyLines((logger) => logger.warn({ err: failure }, 'it failed'), { stacksFrom: 0 })
    expect(debug).toContain('    caused by: TypeError: inner')
  })

  it("shows an error's own keys, and each error of an AggregateError under it", () => {
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
    const text = prettyLines((logger) =>
      logger.fatal({ err: new AggregateError([refused, new RangeError('b')], 'two failed') }, 'both failed'),
    )
    const lines = text.trimEnd().split('\n')
    expect(lines[0]).toMatch(/FATAL a@127\.0\.0\.1:9700 both failed$/)
    expect(lines[1]).toBe('    AggregateError: two failed')
    expect(lines).toContain('      Error: refused')
    expect(lines).toContain('      RangeError: b')
    const single = prettyLines((logger) => logger.error({ err: refused }, 'no'))
    expect(single.split('\n')[0]).toMatch(/ no err\.code=ECONNREFUSED$/)
  })

  it('colours the level only when asked', () => {
    expect(prettyLines((logger) => logger.warn('w'), { color: true })).toContain('\u001b[33mWARN \u001b[0m')
    expect(prettyLines((logger) => logger.warn('w'))).not.toContain('\u001b[')
  })

  it('passes a line that is not a JSON object through', () => {
    expect(prettyLogLine('not json', { color: false, stacksFrom: 50 })).toBe('not json\n')
    expect(prettyLogLine('[1,2]\n', { color: false, stacksFrom: 50 })).toBe('[1,2]\n')
  })
})

describe('control characters in log lines', () => {
  const hostile = 'evil@127.0.0.1:1\n12:00:00.000 ERROR \u001b[31mfake line\u001b[0m \u009b2J\u007f'

  it('are written out in every text of a pretty line, which stays one line', () => {
    const text = prettyLines((logger) =>
      logger
        .child({ actor: hostile })
        .warn({ peer: hostile, [hostile]: 1, err: new Error(hostile) }, `refused ${hostile}`),
    )
    expect(text.endsWith('\n')).toBe(true)
    // One line, with no raw control character (nor newline) before its end.
    expect(text.slice(0, -1)).not.toMatch(/\p{Cc}/u)
    expect(text).toContain(
      String.raw`evil@127.0.0.1:1\n12:00:00.000 ERROR \x1b[31mfake line\x1b[0m \x9b2J\x7f`,
    )
    const withStack = prettyLines((logger) => logger.error({ err: new Error(hostile) }, 'failed'))
    // The stack's own lines are indented under the entry; no control character of the message is raw.
    expect(withStack.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u)
    for (const line of withStack.trimEnd().split('\n').slice(1)) expect(line.startsWith('    ')).toBe(true)
    // A remote error's stack is its name and message: the message stays on one line.
    const remote = Object.assign(new Error(hostile), { stack: `Error: ${hostile}` })
    const remoteLines = prettyLines((logger) => logger.error({ err: remote }, 'failed'))
      .trimEnd()
      .split('\n')
    expect(remoteLines).toHaveLength(2)
    expect(remoteLines[1]).toContain(String.raw`    Error: evil@127.0.0.1:1\n12:00:00.000 ERROR`)
    expect(prettyLogLine(`not json ${hostile}`, { color: false, stacksFrom: 50 }).slice(0, -1)).not.toMatch(
      /\p{Cc}/u,
    )
  })

  it('are escaped in JSON lines, which parse to the same text', () => {
    const line = JSON.stringify({ msg: hostile })
    expect(line).toMatch(/\p{Cc}/u)
    const escaped = escapeJsonControl(line)
    expect(escaped).not.toMatch(/\p{Cc}/u)
    expect(JSON.parse(escaped)).toEqual({ msg: hostile })
  })
})
