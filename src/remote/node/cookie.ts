import { randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '../../core/errors.ts'

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

/**
 * Reads a cookie file (its first line, trimmed). A file open to its group or to others gets a
 * process warning (`process.on('warning')`, which Node prints on stderr; type `TroupeWarning`,
 * code `TROUPE_COOKIE_READABLE`), once per file: whoever can read the cookie can join the nodes.
 */
export function readCookieFile(path: string): string {
  const cookie = readFileSync(path, 'utf8').split('\n')[0]?.trim() ?? ''
  if (cookie.length < 8)
    throw new InvalidOptionError('cookie', `${path} holds no cookie of at least 8 characters`)
  warnIfReadable(path)
  return cookie
}

const warned = new Set<string>()

// Windows has no such mode bits: Node reports every file there as 0o666.
function warnIfReadable(path: string): void {
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) === 0 || warned.has(path) || process.platform === 'win32') return
  warned.add(path)
  const octal = mode.toString(8).padStart(4, '0')
  process.emitWarning(
    `the cookie file ${path} is open to others than its owner (mode ${octal}): whoever can read it can join your nodes; run chmod 600 ${path}`,
    { type: 'TroupeWarning', code: 'TROUPE_COOKIE_READABLE' },
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
