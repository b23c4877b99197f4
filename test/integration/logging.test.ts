import { join } from 'node:path'
import { freePort } from 'troupe/testkit'
import { describe, expect, it, onTestFinished } from 'vitest'
import { root, runTypeScript } from '../support/run-node.ts'
import { cookieFolder, troupeRun } from './cli/support.ts'

/**
 * The keys that appear twice in one object of a JSON text. `JSON.parse` keeps the last of two
 * equal keys without a word, so this reads the raw text.
 */
function repeatedKeys(text: string): string[] {
  let at = 0
  const repeated: string[] = []
  const skipSpace = () => {
    while (/\s/.test(text[at] ?? '')) at++
  }
  const readString = (): string => {
    const start = at++
    while (text[at] !== '"') at += text[at] === '\\' ? 2 : 1
    at++
    return JSON.parse(text.slice(start, at)) as string
  }
  const readValue = (): void => {
    skipSpace()
    const open = text[at]
    if (open === '"') {
      readString()
    } else if (open === '{' || open === '[') {
      const close = open === '{' ? '}' : ']'
      const keys = new Set<string>()
      at++
      skipSpace()
      if (text[at] === close) {
        at++
        return
      }
      for (;;) {
        skipSpace()
        if (open === '{') {
          const key = readString()
          if (keys.has(key)) repeated.push(key)
          keys.add(key)
          skipSpace()
          at++ // the colon
        }
        readValue()
        skipSpace()
        if (text[at++] === close) return
      }
    } else {
      while (at < text.length && !/[\s,\]}]/.test(text[at] ?? '')) at++
    }
  }
  readValue()
  return repeated
}

function runLogLines(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env }
  delete base.TROUPE_LOG_FORMAT
  delete base.TROUPE_LOG_LEVEL
  return runTypeScript([join(root, 'test/fixtures/log-lines.ts'), ...args], {
    timeoutMs: 30_000,
    env: { ...base, ...env },
  })
}

describe('the default logger', () => {
  it('finds the keys that appear twice', () => {
    expect(repeatedKeys('{"level":40,"node":"a","err":{"node":"b"},"node":"c","msg":"x"}')).toEqual(['node'])
    expect(repeatedKeys('{"a":[{"b":1,"b":2}],"c":"\\"}\\"","d":{}}')).toEqual(['b'])
    expect(repeatedKeys('{"level":40,"node":"a","peer":"b","msg":"x"}')).toEqual([])
  })

  it("writes JSON lines with every key once when stderr is a pipe, a child process's too, up to the line before process.exit", async () => {
    const run = await runLogLines([])
    expect(run.code, run.stderr).toBe(0)
    const lines = run.stderr.split('\n').filter((line) => line !== '')
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow()
      expect(repeatedKeys(line), line).toEqual([])
    }
    const entries = lines.map(
      (line) => JSON.parse(line) as { node: string; msg: string; err?: { stack?: string } },
    )
    const find = (text: string) => entries.find((entry) => entry.msg.includes(text))
    expect(find("cannot send a 'ask' to b@")).toMatchObject({ peer: expect.stringMatching(/^b@/) })
    expect(find('cannot reach node gone@')).toMatchObject({ peer: expect.stringMatching(/^gone@/) })
    expect(find('/user/faulty restarted after failure')?.err?.stack).toContain('failing on purpose')
    expect(find('a warning from process')).toMatchObject({
      node: expect.stringMatching(/^child-talker/),
      detail: 42,
    })
    expect(entries.at(-1)?.msg).toBe('the last line before exit')
  })

  it("writes pretty lines when asked, the child process's too, up to the line before process.exit", async () => {
    const run = await runLogLines(['pretty'])
    expect(run.code, run.stderr).toBe(0)
    const lines = run.stderr.split('\n').filter((line) => line !== '')
    expect(
      lines.filter((line) => line.startsWith('{')),
      run.stderr,
    ).toEqual([])
    const time = String.raw`\d\d:\d\d:\d\d\.\d{3}`
    expect(run.stderr).toMatch(
      new RegExp(`^${time} WARN  a@127\\.0\\.0\\.1:\\d+ cannot reach node gone@`, 'm'),
    )
    expect(run.stderr).toMatch(
      new RegExp(`^${time} WARN  child-talker-\\S+ /user/\\S+ a warning from process \\d+ detail=42$`, 'm'),
    )
    // At the debug level, every error's stack is shown.
    expect(run.stderr).toMatch(
      /restarted after failure: Error: failing on purpose\n {4}Error: failing on purpose\n {6}at /,
    )
    expect(lines.at(-1)).toMatch(
      new RegExp(`^${time} WARN  a@127\\.0\\.0\\.1:\\d+ the last line before exit$`),
    )
  })

  it('takes TROUPE_LOG_FORMAT', async () => {
    const run = await runLogLines([], { TROUPE_LOG_FORMAT: 'pretty' })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).not.toMatch(/^\{/m)
    expect(run.stderr).toMatch(/ WARN {2}a@127\.0\.0\.1:\d+ the last line before exit\n$/)
  })
})

describe('the logs of a troupe command', () => {
  it('are JSON on a pipe and pretty with --log-format pretty, apart from its own error line', async () => {
    const target = `troupe://gone@127.0.0.1:${await freePort()}/user/a`
    const folder = cookieFolder()
    onTestFinished(() => folder.remove())
    const args = ['send', target, '1', '--log-level', 'warn', '--cookie-file', folder.cookie]
    const json = await troupeRun(args)
    expect(json.code, json.stderr).toBe(1)
    const [log, ...rest] = json.stderr.trimEnd().split('\n')
    expect(JSON.parse(log ?? '')).toMatchObject({ level: 40, node: expect.stringMatching(/^send-\d+@/) })
    expect(rest.at(-1)).toMatch(/^troupe send: node gone@127\.0\.0\.1:\d+ is down: /)
    const pretty = await troupeRun([...args, '--log-format', 'pretty'])
    expect(pretty.code, pretty.stderr).toBe(1)
    expect(pretty.stderr).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}send-\d+@127\.0\.0\.1:\d+ cannot connect to /,
    )
    expect(pretty.stderr).not.toMatch(/^\{/m)
  })
})
