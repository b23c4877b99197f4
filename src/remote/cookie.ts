import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '../core/errors.ts'

/** Where a node looks for its cookie when none is given: the user's home, as Erlang does. */
export const COOKIE_FILE = '.troupe-cookie'

/**
 * The shared secret nodes prove to each other: the `cookie` option, else `TROUPE_COOKIE`, else the
 * contents of `~/.troupe-cookie`, which is created (readable by its owner only) when missing, so
 * that the nodes of one user on one machine trust each other out of the box.
 */
export function resolveCookie(given: string | undefined): string {
  const cookie = given ?? process.env.TROUPE_COOKIE ?? readOrCreate(join(homedir(), COOKIE_FILE))
  if (typeof cookie !== 'string' || cookie.length < 8) {
    throw new InvalidOptionError('cookie', 'expected a secret of at least 8 characters')
  }
  return cookie
}

/** Reads a cookie file (its first line, trimmed). */
export function readCookieFile(path: string): string {
  const cookie = readFileSync(path, 'utf8').split('\n')[0]?.trim() ?? ''
  if (cookie.length < 8)
    throw new InvalidOptionError('cookie', `${path} holds no cookie of at least 8 characters`)
  return cookie
}

function readOrCreate(path: string): string {
  try {
    return readCookieFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    const cookie = randomBytes(24).toString('base64url')
    writeFileSync(path, `${cookie}\n`, { mode: 0o600, flag: 'wx' })
    return readCookieFile(path)
  }
}
