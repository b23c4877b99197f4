import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { COOKIE_FILE, readCookieFile } from '../../../src/internal.ts'

let dir = ''
const saved = { HOME: process.env.HOME, TROUPE_COOKIE: process.env.TROUPE_COOKIE }

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'troupe-cookie-'))
})

afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  rmSync(dir, { recursive: true, force: true })
})

/** The process warnings emitted while `fn` runs (they are emitted on the next tick). */
async function warningsDuring(fn: () => unknown): Promise<Error[]> {
  const seen: Error[] = []
  const onWarning = (warning: Error) => seen.push(warning)
  process.on('warning', onWarning)
  try {
    await fn()
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', onWarning)
  }
  return seen
}

function cookieFile(name: string, mode: number): string {
  const path = join(dir, name)
  writeFileSync(path, 'a-cookie-of-the-tests\n', { mode })
  chmodSync(path, mode)
  return path
}

describe.skipIf(process.platform === 'win32')('cookie files', () => {
  test('a cookie file open to its group or others gets one warning that names it and says how to fix it', async () => {
    for (const [name, mode] of [
      ['group', 0o640],
      ['others', 0o604],
    ] as const) {
      const path = cookieFile(name, mode)
      const warnings = await warningsDuring(() => {
        expect(readCookieFile(path)).toBe('a-cookie-of-the-tests')
        readCookieFile(path)
      })
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatchObject({ name: 'TroupeWarning', code: 'TROUPE_COOKIE_READABLE' })
      expect(warnings[0]?.message).toContain(path)
      expect(warnings[0]?.message).toContain(`(mode 0${mode.toString(8)})`)
      expect(warnings[0]?.message).toContain(`chmod 600 ${path}`)
    }
  })

  test('a cookie file only its owner may read gets no warning', async () => {
    const path = cookieFile('private', 0o600)
    expect(await warningsDuring(() => readCookieFile(path))).toEqual([])
  })

  test('a node with no cookie makes ~/.troupe-cookie on first use, mode 0600, and warns once it is opened up', async () => {
    process.env.HOME = dir
    delete process.env.TROUPE_COOKIE
    const home = join(dir, COOKIE_FILE)
    const first = await warningsDuring(async () => {
      const system = await start({ node: `first@127.0.0.1:${await freePort()}` })
      await system.shutdown()
    })
    expect(first).toEqual([])
    expect(statSync(home).mode & 0o777).toBe(0o600)
    expect(readFileSync(home, 'utf8').trim().length).toBeGreaterThanOrEqual(8)

    chmodSync(home, 0o644)
    const opened = await warningsDuring(async () => {
      const system = await start({ node: `second@127.0.0.1:${await freePort()}` })
      await system.shutdown()
    })
    expect(opened.map((warning) => warning.message)).toEqual([expect.stringContaining(home)])
  })
})
