import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError, start } from 'troupe'
import { freePort } from 'troupe/testkit'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { COOKIE_FILE, readCookieFile } from '../../../src/internal.ts'
import { MIN_COOKIE_LENGTH } from '../../../src/transport/options.ts'
import { listenTcp } from '../../../src/transport/tcp/index.ts'

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
  test('a cookie file open to its group or others is refused, with the fix in the error', () => {
    for (const [name, mode] of [
      ['group', 0o640],
      ['others', 0o604],
      ['group-write', 0o620],
    ] as const) {
      const path = cookieFile(name, mode)
      const error = (() => {
        try {
          readCookieFile(path)
        } catch (thrown) {
          return thrown
        }
      })()
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as Error).message).toContain(path)
      expect((error as Error).message).toContain(`(mode 0${mode.toString(8)})`)
      expect((error as Error).message).toContain(`chmod 600 ${path}`)
    }
  })

  test('a cookie file only its owner may read is used, and gives no warning', async () => {
    const path = cookieFile('private', 0o600)
    expect(await warningsDuring(() => expect(readCookieFile(path)).toBe('a-cookie-of-the-tests'))).toEqual([])
  })

  test('a node with no cookie makes ~/.troupe-cookie on first use, mode 0600, and refuses to start once it is opened up', async () => {
    process.env.HOME = dir
    delete process.env.TROUPE_COOKIE
    const home = join(dir, COOKIE_FILE)
    const system = await start({ node: `first@127.0.0.1:${await freePort()}` })
    await system.shutdown()
    expect(statSync(home).mode & 0o777).toBe(0o600)
    expect(readFileSync(home, 'utf8').trim().length).toBeGreaterThanOrEqual(MIN_COOKIE_LENGTH)

    chmodSync(home, 0o644)
    const refused = await start({ node: `second@127.0.0.1:${await freePort()}` }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(InvalidOptionError)
    expect((refused as Error).message).toContain(`chmod 600 ${home}`)
  })
})

describe('one strength rule for every cookie', () => {
  const short = 'x'.repeat(MIN_COOKIE_LENGTH - 1)
  const rule = `invalid option 'cookie': expected a secret of at least ${MIN_COOKIE_LENGTH} characters shared by the nodes`

  test(`the transport options, start(), TROUPE_COOKIE and cookie files refuse one of ${MIN_COOKIE_LENGTH - 1} characters with the same text`, async () => {
    const transport = await listenTcp({ node: 'a', incarnation: 'a-1', cookie: short }).catch(
      (e: unknown) => e,
    )
    expect((transport as Error).message).toBe(rule)
    const started = await start({ node: `a@127.0.0.1:${await freePort()}`, cookie: short }).catch(
      (e: unknown) => e,
    )
    expect(started).toBeInstanceOf(InvalidOptionError)
    expect((started as Error).message).toBe(rule)
    process.env.TROUPE_COOKIE = short
    const fromEnv = await start({ node: `a@127.0.0.1:${await freePort()}` }).catch((e: unknown) => e)
    expect((fromEnv as Error).message).toBe(`${rule} (in TROUPE_COOKIE)`)
    const path = join(dir, 'short')
    writeFileSync(path, `${short}\n`, { mode: 0o600 })
    expect(() => readCookieFile(path)).toThrow(`${rule} (in ${path})`)
  })

  test(`a cookie of ${MIN_COOKIE_LENGTH} characters is taken everywhere`, async () => {
    const enough = 'y'.repeat(MIN_COOKIE_LENGTH)
    const system = await start({ node: `a@127.0.0.1:${await freePort()}`, cookie: enough })
    await system.shutdown()
    const path = join(dir, 'enough')
    writeFileSync(path, `${enough}\n`, { mode: 0o600 })
    expect(readCookieFile(path)).toBe(enough)
  })
})
