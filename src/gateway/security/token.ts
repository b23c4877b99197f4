import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { InvalidOptionError } from '../../index.ts'

/** How many random bytes a generated token holds (43 characters in base64url). */
export const TOKEN_BYTES = 32
/** The shortest token the gateway accepts from its options or a token file. */
export const MIN_TOKEN_LENGTH = 16
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]+$/

/** A fresh token: {@link TOKEN_BYTES} random bytes from the system's CSPRNG, in base64url. */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url')
}

/** Throws `InvalidOptionError` naming `option` unless `token` can be a bearer token. */
export function checkToken(token: unknown, option: string): string {
  if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) {
    throw new InvalidOptionError(
      option,
      `expected a token of at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / = -; leave it out to have one generated`,
    )
  }
  return token
}

/**
 * The token in `path` (its first line), or a new one written there with mode 0600 when the file
 * does not exist, so that the next start reuses it. Refuses a file others than its owner can read.
 */
export function readOrCreateTokenFile(path: string): { token: string; created: boolean } {
  try {
    return { token: readTokenFile(path), created: false }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const token = generateToken()
  try {
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    // Another gateway created it first: use its token.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { token: readTokenFile(path), created: false }
    throw new InvalidOptionError('tokenFile', `cannot create ${path}: ${(error as Error).message}`)
  }
  return { token, created: true }
}

function readTokenFile(path: string): string {
  if (process.platform !== 'win32') {
    const mode = statSync(path).mode & 0o777
    if ((mode & 0o077) !== 0) {
      throw new InvalidOptionError(
        'tokenFile',
        `the token file ${path} is open to others than its owner (mode ${mode.toString(8).padStart(4, '0')}): whoever reads it controls the gateway; run chmod 600 ${path}`,
      )
    }
  }
  const token = readFileSync(path, 'utf8').split('\n')[0]?.trim() ?? ''
  return checkToken(token, 'tokenFile')
}

/**
 * Whether `given` is the token, in time that does not depend on where they differ: both are
 * hashed first, so that their lengths do not show either.
 */
export function tokensEqual(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}
