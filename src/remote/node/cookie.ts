import { randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '../../core/errors.ts'
import { checkCookie } from '../../transport/options.ts'

/** Where a node looks for its cookie when none is given: the user's home, as Erlang does. */
export const COOKIE_FILE = '.troupe-cookie'

/**
 * The shared secret nodes prove to each other: the `cookie` option, else `TROUPE_COOKIE`, else the
 * contents of `~/.troupe-cookie`, which is created (readable by its owner only) when missing, so
 * that the nodes of one user on one machine trust each other out of the box. Every source obeys
 * one rule (at least 16 characters); throws `InvalidOptionError` otherwise.
 */
export function resolveCookie(given: string | undefined): string {
  if (given !== undefined) {
    checkCookie(given)
    return given
  }
  const fromEnv = process.env.TROUPE_COOKIE
  if (fromEnv !== undefined) {
    checkCookie(fromEnv, 'TROUPE_COOKIE')
    return fromEnv
  }
  return readOrCreate(join(homedir(), COOKIE_FILE))
}

/**
 * Reads a cookie file (its first line, trimmed). A file open to its group or to others is refused
 * (Erlang refuses such a cookie too): whoever can read the cookie can join the nodes. Throws
 * `InvalidOptionError` saying the fix (`chmod 600 <file>`), or the cookie rule.
 */
export function readCookieFile(path: string): string {
  refuseIfReadable(path)
  const cookie = readFileSync(path, 'utf8').split('\n')[0]?.trim() ?? ''
  checkCookie(cookie, path)
  return cookie
}

// Windows has no such mode bits: Node reports every file there as 0o666.
function refuseIfReadable(path: string): void {
  if (process.platform === 'win32') return
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) === 0) return
  const octal = mode.toString(8).padStart(4, '0')
  throw new InvalidOptionError(
    'cookie',
    `the cookie file ${path} is open to others than its owner (mode ${octal}): whoever can read it can join your nodes; run chmod 600 ${path}`,
  )
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
